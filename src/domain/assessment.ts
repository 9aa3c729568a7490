/**
 * Acceptability and stamping (DESIGN.md sections 2 and 3), as pure functions over plain data:
 * which contract and device a draft is about, whether it can be accepted, and when its
 * response clock starts and ends. The dispatcher does the I/O around them.
 */
import type { ServiceCalendar } from './calendar.js';
import { contractStatusAt, type Contract, type Device } from './contract-terms.js';
import type { ContractRegistry } from './contracts.js';
import { explainResponseDeadline } from './deadlines.js';
import type { RequestEvent } from './history.js';
import type { Acceptability, ServiceRequest, ValidDraft } from './request.js';

export type MissingField = 'serial' | 'contract';

/** What the registry says about a draft. */
export interface Assessment {
  acceptability: Acceptability;
  /** In words an engineer can act on; absent when accepted. */
  reason?: string;
  missing: MissingField[];
  contract?: Contract;
  device?: Device;
}

/** The facts a request is judged on: the draft's, merged with what later replies supplied. */
export interface ReportFacts {
  serialNumber?: string | undefined;
  contractNumber?: string | undefined;
  reporter: { email?: string | undefined; phone?: string | undefined };
  /** When these facts were sent (the contract must be valid on that day). */
  sentAtMs: number;
}

/**
 * Order of the checks: the contract first (unknown → needs-info; expired → the renewal notice
 * to a human), then the device, then the reporter. A report that names no contract but a
 * serial that only one contract covers is about that contract.
 */
export function assess(facts: ReportFacts, registry: ContractRegistry): Assessment {
  const missing: MissingField[] = [];
  let contract: Contract | undefined;
  if (facts.contractNumber) {
    contract = registry.findContract(facts.contractNumber) ?? registry.findContractByDigits(facts.contractNumber.replace(/\D/g, ''));
    if (!contract) {
      return { acceptability: 'needs-info', reason: `Contract "${facts.contractNumber}" is not in the registry.`, missing: ['contract'] };
    }
  } else if (facts.serialNumber) {
    const matches = registry.findDeviceAnywhere(facts.serialNumber);
    if (matches.length === 1) contract = matches[0]?.contract;
  }
  if (!contract) missing.push('contract');

  let device: Device | undefined;
  if (facts.serialNumber && contract) {
    device = registry.findDevice(contract, facts.serialNumber);
    if (!device) {
      return {
        acceptability: 'needs-info',
        reason: `Serial number "${facts.serialNumber}" is not covered by contract ${contract.number}.`,
        missing: ['serial'],
        contract,
      };
    }
  } else if (!facts.serialNumber) {
    missing.push('serial');
  }

  if (missing.length > 0 || !contract) {
    return {
      acceptability: 'needs-info',
      reason: `Missing ${missing.map((m) => (m === 'serial' ? 'the serial number' : 'the contract number')).join(' and ')}; both are required to accept a report.`,
      missing,
      ...(contract ? { contract } : {}),
    };
  }

  const validity = contractStatusAt(contract, facts.sentAtMs);
  if (validity !== 'valid') {
    return {
      acceptability: 'contract-expired',
      reason:
        validity === 'expired'
          ? `Contract ${contract.number} expired on ${contract.validTo}; renewal after the deadline may carry a reactivation fee.`
          : `Contract ${contract.number} is valid only from ${contract.validFrom}.`,
      missing: [],
      contract,
      device,
    };
  }

  if (!isRepresentative(contract, facts.reporter, registry)) {
    return {
      acceptability: 'unauthorized-reporter',
      reason: `The reporter is not an authorized representative of contract ${contract.number}; an engineer must confirm them before the clock starts.`,
      missing: [],
      contract,
      device,
    };
  }
  return { acceptability: 'accepted', missing: [], contract, device };
}

function isRepresentative(contract: Contract, reporter: ReportFacts['reporter'], registry: ContractRegistry): boolean {
  return representsContract(contract.number, reporter, registry);
}

/** Whether the reporter's e-mail or phone is a representative's of the contract numbered `contractNumber` (as stored). */
export function representsContract(contractNumber: string, reporter: ReportFacts['reporter'], registry: ContractRegistry): boolean {
  const byEmail = reporter.email ? registry.findRepresentativesByEmail(reporter.email) : [];
  const byPhone = reporter.phone ? registry.findRepresentativesByPhone(reporter.phone) : [];
  return [...byEmail, ...byPhone].some((match) => match.contract.number === contractNumber);
}

/**
 * Whether the reporter may be told the customer, contract and device the registry matched
 * (DESIGN.md section 9): only a representative of that contract. Anyone who types a real
 * contract number must not learn whose it is. A started response clock means the reporter was
 * a representative or an engineer confirmed them; otherwise the registry is asked (a
 * representative whose contract expired, or who mistyped the serial, is still told).
 */
export function reporterMayKnowCase(
  request: { clockStartedAt?: string | undefined; contractNumber?: string | undefined; customer?: string | undefined; reporter: ReportFacts['reporter'] },
  registry: ContractRegistry | undefined,
): boolean {
  if (request.clockStartedAt) return true;
  if (!registry || !request.customer || !request.contractNumber) return false;
  return representsContract(request.contractNumber, request.reporter, registry);
}

/**
 * Applies an assessment to a request: contract details, status, and — when it is accepted —
 * the response clock started at `clockStartMs` (sentAt for a complete report; the arrival of
 * the missing data or the engineer's confirmation otherwise).
 */
export function applyAssessment(
  request: ServiceRequest,
  assessment: Assessment,
  clockStartMs: number,
  calendar: ServiceCalendar,
): ServiceRequest {
  const { contract, device } = assessment;
  const next: ServiceRequest = {
    ...request,
    acceptability: assessment.acceptability,
    status: assessment.acceptability,
    ...(contract
      ? { contractNumber: contract.number, customer: contract.customer, package: contract.package, window: contract.window, onsite: contract.onsite }
      : {}),
    ...(device ? { device: { serial: device.serial, model: device.model } } : {}),
  };
  if (assessment.reason) next.reason = assessment.reason;
  else delete next.reason;
  if (assessment.acceptability === 'accepted' && contract) {
    const explained = explainResponseDeadline(clockStartMs, contract.window, calendar);
    next.clockStartedAt = new Date(clockStartMs).toISOString();
    next.responseDeadline = { at: new Date(explained.deadline).toISOString(), trace: explained.trace };
  }
  return next;
}

/** A new request from a draft, stamped as of `nowMs`. */
export function stampNewRequest(
  requestNumber: string,
  draft: ValidDraft,
  registry: ContractRegistry,
  calendar: ServiceCalendar,
  nowMs: number,
): { request: ServiceRequest; assessment: Assessment; events: RequestEvent[] } {
  const sentAtMs = Date.parse(draft.sentAt);
  const assessment = assess({ serialNumber: draft.serialNumber, contractNumber: draft.contractNumber, reporter: draft.reporter, sentAtMs }, registry);
  const now = new Date(nowMs).toISOString();
  const base: ServiceRequest = {
    number: requestNumber,
    status: assessment.acceptability,
    acceptability: assessment.acceptability,
    channel: draft.channel,
    kind: draft.kind,
    escalated: draft.kind === 'escalation',
    sourceKey: draft.sourceKey,
    sentAt: new Date(sentAtMs).toISOString(),
    stampedAt: now,
    language: draft.language,
    reporter: draft.reporter,
    ...(draft.serialNumber ? { serialNumber: draft.serialNumber } : {}),
    ...(draft.contractNumber ? { contractNumber: draft.contractNumber } : {}),
    ...(draft.subject ? { subject: draft.subject } : {}),
    ...(draft.description ? { description: draft.description } : {}),
    attachments: draft.attachments,
    raw: draft.raw,
    appliedSources: [draft.sourceKey],
    updatedAt: now,
    version: 1,
  };
  const request = applyAssessment(base, assessment, sentAtMs, calendar);
  const events: RequestEvent[] = [
    {
      id: `filed:${draft.sourceKey}`,
      at: now,
      type: 'filed',
      actor: draft.channel,
      source: draft.sourceKey,
      data: { status: request.status, ...(request.reason ? { reason: request.reason } : {}), sentAt: request.sentAt },
    },
  ];
  if (request.responseDeadline && request.clockStartedAt) {
    events.push({ id: `clock:${draft.sourceKey}`, at: now, type: 'clock-started', actor: 'system', source: draft.sourceKey, data: { clockStartedAt: request.clockStartedAt, responseDeadline: request.responseDeadline } });
  }
  if (request.escalated) {
    events.push({ id: `escalated:${draft.sourceKey}`, at: now, type: 'escalated', actor: draft.channel, source: draft.sourceKey });
  }
  return { request, assessment, events };
}

/**
 * A reply or escalation that names an existing request: recorded as an event; it may supply
 * the missing serial or contract (then the clock starts at the reply's sentAt) and may
 * escalate. Returns null when this source was applied before (a replayed job).
 */
export function attachToRequest(
  request: ServiceRequest,
  draft: ValidDraft,
  eventSource: string,
  registry: ContractRegistry,
  calendar: ServiceCalendar,
  nowMs: number,
): { request: ServiceRequest; events: RequestEvent[] } | null {
  if (request.appliedSources.includes(eventSource)) return null;
  const now = new Date(nowMs).toISOString();
  let next: ServiceRequest = { ...request, appliedSources: [...request.appliedSources, eventSource] };
  if (draft.undeliverable) {
    // A bounce of our acknowledgment says nothing about the device: the request is not judged
    // again (the returned text quotes our own mail, serial and contract included).
    const event: RequestEvent = {
      id: `undeliverable:${eventSource}`,
      at: now,
      type: 'acknowledgment-undeliverable',
      actor: draft.channel,
      source: draft.sourceKey,
      internal: true,
      data: { ...draft.undeliverable, sentAt: draft.sentAt },
    };
    return { request: next, events: [event] };
  }
  const isEscalation = draft.kind === 'escalation';
  const events: RequestEvent[] = [
    {
      id: `${isEscalation ? 'escalation' : 'reply'}:${eventSource}`,
      at: now,
      type: isEscalation ? 'escalation' : 'reply',
      actor: draft.channel,
      source: draft.sourceKey,
      data: {
        sentAt: draft.sentAt,
        ...(draft.subject ? { subject: draft.subject } : {}),
        ...(draft.description ? { description: draft.description } : {}),
        ...(draft.serialNumber ? { serialNumber: draft.serialNumber } : {}),
        ...(draft.contractNumber ? { contractNumber: draft.contractNumber } : {}),
        ...(draft.attachments.length > 0 ? { attachments: draft.attachments } : {}),
        reporter: draft.reporter,
      },
    },
  ];
  if (draft.attachments.length > 0) next.attachments = [...next.attachments, ...draft.attachments];

  if (next.status === 'needs-info' && (draft.serialNumber || draft.contractNumber)) {
    // The missing data arrived: the merged facts are judged against a contract valid on the day
    // the request was sent (DESIGN.md section 2) — a customer who reported in time is not told
    // their contract expired because the serial came after its last day — while the clock
    // starts with the reply (section 3).
    const facts: ReportFacts = {
      serialNumber: draft.serialNumber ?? next.serialNumber,
      contractNumber: draft.contractNumber ?? next.contractNumber,
      reporter: { email: next.reporter.email ?? draft.reporter.email, phone: next.reporter.phone ?? draft.reporter.phone },
      sentAtMs: Date.parse(next.sentAt),
    };
    if (facts.serialNumber) next.serialNumber = facts.serialNumber;
    if (facts.contractNumber) next.contractNumber = facts.contractNumber;
    const assessment = assess(facts, registry);
    next = applyAssessment(next, assessment, Date.parse(draft.sentAt), calendar);
    events.push({ id: `reassessed:${eventSource}`, at: now, type: 'reassessed', actor: 'system', source: draft.sourceKey, data: { status: next.status, ...(next.reason ? { reason: next.reason } : {}) } });
    if (next.responseDeadline && next.clockStartedAt) {
      events.push({ id: `clock:${eventSource}`, at: now, type: 'clock-started', actor: 'system', source: draft.sourceKey, data: { clockStartedAt: next.clockStartedAt, responseDeadline: next.responseDeadline } });
    }
  }
  if (isEscalation) next.escalated = true;
  return { request: next, events };
}
