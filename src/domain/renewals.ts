/**
 * Renewal reminders (DESIGN.md section 9), pure: which contracts end within the reminder
 * thresholds on a given Warsaw day, which threshold is owed, and whether a later contract has
 * renewed one already. The sender (src/inspections/care-sweep.ts) makes each reminder once.
 */
import { normalizeSerial, type Contract } from './contract-terms.js';
import type { ContractRegistry } from './contracts.js';
import { daysBetween } from './inspections.js';

/** A contract ending soon, with the reminder owed today. */
export interface RenewalDue {
  contract: Contract;
  /** Calendar days from today to the contract's last day (0: it ends today, still valid). */
  daysLeft: number;
  /** The threshold owed: the smallest of settings' reminder days not below daysLeft. */
  threshold: number;
}

/**
 * Whether another contract renews `contract`: it ends later, starts no later than the day after
 * `contract` ends (a gap would lapse the cover) and lists every one of its devices.
 */
export function isRenewed(contract: Contract, contracts: readonly Contract[]): boolean {
  const serials = contract.devices.map((device) => normalizeSerial(device.serial));
  return contracts.some((other) => {
    if (other === contract || other.validTo <= contract.validTo || daysBetween(contract.validTo, other.validFrom) > 1) return false;
    const covered = new Set(other.devices.map((device) => normalizeSerial(device.serial)));
    return serials.every((serial) => covered.has(serial));
  });
}

/**
 * The contracts whose last day is within the largest threshold of `today`, not renewed, each
 * with the one reminder owed now: a gateway started 5 days before the end sends the 7-day
 * reminder, not the 60- and 30-day ones as well. Soonest end first.
 */
export function renewalsDue(registry: Pick<ContractRegistry, 'contracts'>, today: string, thresholds: readonly number[]): RenewalDue[] {
  const sorted = [...thresholds].sort((a, b) => a - b);
  const due: RenewalDue[] = [];
  for (const contract of registry.contracts) {
    const daysLeft = daysBetween(today, contract.validTo);
    if (daysLeft < 0 || today < contract.validFrom) continue;
    const threshold = sorted.find((days) => daysLeft <= days);
    if (threshold === undefined || isRenewed(contract, registry.contracts)) continue;
    due.push({ contract, daysLeft, threshold });
  }
  return due.sort((a, b) => a.daysLeft - b.daysLeft || a.contract.number.localeCompare(b.contract.number));
}

/** The once-marker of a reminder: per contract, threshold and end date (a changed end date is a new contract term). */
export function renewalReminderKey(contract: Contract, threshold: number): string {
  return `renewal:${normalizeSerial(contract.number)}:${threshold}:${contract.validTo}`;
}
