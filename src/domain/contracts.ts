/**
 * `ContractRegistry`: the read-only lookups every channel uses to recognise a contract, a device
 * and an authorized representative (DESIGN.md section 2). Pure: the contract's shape and how its
 * identifiers compare are contract-terms.ts, the rules a registry must satisfy
 * registry-rules.ts, and reading the file src/registry/registry-file.ts.
 */
import { contractDigits, normalizeContractNumber, normalizeEmail, normalizePhone, normalizeSerial, type Contract, type Device, type DeviceMatch, type RepresentativeMatch } from './contract-terms.js';
import { impossible } from '../errors.js';
import { findContractRuleProblems, formatPath } from './registry-rules.js';

// ---------------------------------------------------------------------------------------------
// The registry.

interface ContractDevices {
  readonly bySerial: ReadonlyMap<string, Device>;
  /** Normalized serial and its digits, for suffix matching without re-normalizing per call. */
  readonly keyed: readonly { readonly device: Device; readonly serial: string; readonly digits: string }[];
}

/**
 * An immutable set of contracts with the lookups the channels need, each answered from a map
 * built once here. A reload builds a new registry; holders of the old one keep a consistent
 * view. The contracts given are frozen.
 */
export class ContractRegistry {
  /** All contracts, in file order. */
  readonly contracts: readonly Contract[];
  /** When the ERP exported the data, if the file says. */
  readonly exportedAt: string | undefined;

  readonly #byNumber = new Map<string, Contract>();
  readonly #byDigits = new Map<string, Contract>();
  readonly #devices = new Map<Contract, ContractDevices>();
  readonly #bySerial = new Map<string, DeviceMatch[]>();
  readonly #byEmail = new Map<string, RepresentativeMatch[]>();
  readonly #byPhone = new Map<string, RepresentativeMatch[]>();

  /**
   * Takes contracts that passed validateRegistryData(), which reports these rules with their
   * lines (REGISTRY_INVALID); contracts that break one anyway are our bug (ImpossibleState).
   */
  constructor(contracts: readonly Contract[], options: { exportedAt?: string } = {}) {
    const problems = findContractRuleProblems(contracts);
    if (problems.length > 0) {
      const listed = problems.map((problem) => `${formatPath(problem.path)}: ${problem.message}`).join('; ');
      impossible(`contracts break registry rules: ${listed}`);
    }
    this.contracts = Object.freeze(contracts.map(freezeContract));
    this.exportedAt = options.exportedAt;
    for (const contract of this.contracts) {
      this.#byNumber.set(normalizeContractNumber(contract.number), contract);
      this.#byDigits.set(contractDigits(contract.number), contract);
      const devices = indexDevices(contract);
      this.#devices.set(contract, devices);
      for (const [serial, device] of devices.bySerial) push(this.#bySerial, serial, { contract, device });
      for (const representative of contract.representatives) {
        push(this.#byEmail, normalizeEmail(representative.email), { contract, representative });
        const phone = normalizePhone(representative.phone);
        if (phone !== null) push(this.#byPhone, phone, { contract, representative });
      }
    }
    // Lookups hand out these lists themselves; frozen, no caller can alter what others see.
    for (const map of [this.#bySerial, this.#byEmail, this.#byPhone]) for (const list of map.values()) Object.freeze(list);
  }

  /** How many contracts. */
  get size(): number {
    return this.contracts.length;
  }

  /** By number, ignoring case, spaces and dashes: `hz 2026 00123`, `HZ202600123`. */
  findContract(text: string): Contract | undefined {
    const key = normalizeContractNumber(text);
    return key === '' ? undefined : this.#byNumber.get(key);
  }

  /** By the number's digits alone, as typed on a keypad (`202600123`); other characters are ignored. */
  findContractByDigits(digits: string): Contract | undefined {
    const key = contractDigits(digits);
    return key === '' ? undefined : this.#byDigits.get(key);
  }

  /** The contract's device with this serial, ignoring case, spaces and dashes. */
  findDevice(contract: Contract, serial: string): Device | undefined {
    return this.#devicesOf(contract).bySerial.get(normalizeSerial(serial));
  }

  /**
   * The contract's devices whose serial ends with `suffix` (case, spaces and dashes ignored).
   * Digits alone also match the serial's digits, so a caller reading `Q48-24-07315` off a label
   * may type `2407315`. Returns every match: more than one means ask for more characters.
   */
  findDevicesBySuffix(contract: Contract, suffix: string): Device[] {
    const wanted = normalizeSerial(suffix);
    if (wanted === '') return [];
    const digitsOnly = /^\d+$/.test(wanted);
    return this.#devicesOf(contract)
      .keyed.filter((entry) => entry.serial.endsWith(wanted) || (digitsOnly && entry.digits.endsWith(wanted)))
      .map((entry) => entry.device);
  }

  /** Every contract listing this serial (a renewed contract may list the same device again). */
  findDeviceAnywhere(serial: string): readonly DeviceMatch[] {
    return this.#bySerial.get(normalizeSerial(serial)) ?? [];
  }

  /** Every contract on which this address (any letter case) is an authorized representative. */
  findRepresentativesByEmail(email: string): readonly RepresentativeMatch[] {
    return this.#byEmail.get(normalizeEmail(email)) ?? [];
  }

  /** Every contract on which this phone number (any usual writing, Polish by default) is a representative's. */
  findRepresentativesByPhone(phone: string): readonly RepresentativeMatch[] {
    const e164 = normalizePhone(phone);
    return e164 === null ? [] : (this.#byPhone.get(e164) ?? []);
  }

  #devicesOf(contract: Contract): ContractDevices {
    // A contract from an earlier registry (held across a reload) is indexed on the fly, so the
    // answer always concerns the very contract passed in.
    return this.#devices.get(contract) ?? indexDevices(contract);
  }
}

function indexDevices(contract: Contract): ContractDevices {
  const bySerial = new Map<string, Device>();
  const keyed = contract.devices.map((device) => {
    const serial = normalizeSerial(device.serial);
    if (!bySerial.has(serial)) bySerial.set(serial, device);
    return { device, serial, digits: serial.replace(/\D/g, '') };
  });
  return { bySerial, keyed };
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function freezeContract(contract: Contract): Contract {
  for (const device of contract.devices) Object.freeze(device);
  for (const representative of contract.representatives) Object.freeze(representative);
  Object.freeze(contract.devices);
  Object.freeze(contract.representatives);
  return Object.freeze(contract);
}
