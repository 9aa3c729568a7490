/**
 * An inspection as a request (pure): stamping the draft the scheduler files, recording a
 * checklist item, and what closing one needs and records. The dispatcher, the engineer actions
 * and the inspection routes call these; none of them decides an inspection rule itself.
 */
import { z } from 'zod';
import { IntakeError } from '../errors.js';
import type { ContractRegistry } from './contracts.js';
import { warsawDate } from './deadlines.js';
import type { InspectionItemEvent, RequestEvent } from './history.js';
import { missingItems, type Inspection, type InspectionItemInput, type RecordedItem } from './inspections.js';
import type { ServiceRequest, ValidDraft } from './request.js';

/** What the scheduler puts in the draft's `raw.payload` (the dispatcher stamps from it). */
export const inspectionPayloadSchema = z
  .object({ dueDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), dueAt: z.iso.datetime({ offset: true }), basis: z.string().max(200) })
  .strip();
export type InspectionPayload = z.infer<typeof inspectionPayloadSchema>;

const text = (max: number) => z.string().trim().min(1).max(max);

/** One checklist item as the API and the page's form take it. */
export const inspectionItemSchema = z.discriminatedUnion('item', [
  z.object({ item: z.literal('logs'), errorsFound: z.boolean(), note: text(2000) }).strict(),
  z.object({ item: z.literal('firmware'), found: text(100), installed: text(100) }).strict(),
  z.object({ item: z.literal('operation'), working: z.boolean(), note: text(2000).optional() }).strict(),
  z.object({ item: z.literal('workTests'), done: z.boolean(), result: text(2000) }).strict(),
]);

/**
 * A new inspection request from the scheduler's draft: the contract's details, the device, the
 * due date and an empty checklist. Accepted at once (the gateway filed it for a contract it
 * knows) but with no response clock: an inspection has none and never counts in the response
 * statistics (DESIGN.md section 9).
 */
export function stampInspectionRequest(
  requestNumber: string,
  draft: ValidDraft,
  registry: ContractRegistry,
  nowMs: number,
): { request: ServiceRequest; events: RequestEvent[] } {
  const payload = inspectionPayloadSchema.parse(draft.raw.payload ?? {});
  const contract = draft.contractNumber ? registry.findContract(draft.contractNumber) : undefined;
  const device = contract && draft.serialNumber ? registry.findDevice(contract, draft.serialNumber) : undefined;
  const now = new Date(nowMs).toISOString();
  const inspection: Inspection = { dueDate: payload.dueDate, dueAt: new Date(Date.parse(payload.dueAt)).toISOString(), basis: payload.basis, checklist: {} };
  const request: ServiceRequest = {
    number: requestNumber,
    // A contract or device gone from the registry between filing and stamping needs a person.
    status: contract && device ? 'accepted' : 'needs-info',
    acceptability: contract && device ? 'accepted' : 'needs-info',
    ...(contract && device ? {} : { reason: `Device ${draft.serialNumber ?? '?'} of contract ${draft.contractNumber ?? '?'} is no longer in the registry.` }),
    channel: draft.channel,
    kind: 'inspection',
    escalated: false,
    sourceKey: draft.sourceKey,
    sentAt: new Date(Date.parse(draft.sentAt)).toISOString(),
    stampedAt: now,
    language: draft.language,
    reporter: draft.reporter,
    ...(draft.serialNumber ? { serialNumber: draft.serialNumber } : {}),
    ...(draft.contractNumber ? { contractNumber: draft.contractNumber } : {}),
    ...(contract ? { customer: contract.customer, package: contract.package, window: contract.window, onsite: contract.onsite } : {}),
    ...(device ? { device: { serial: device.serial, model: device.model } } : {}),
    ...(draft.subject ? { subject: draft.subject } : {}),
    ...(draft.description ? { description: draft.description } : {}),
    attachments: draft.attachments,
    raw: draft.raw,
    inspection,
    appliedSources: [draft.sourceKey],
    updatedAt: now,
    version: 1,
  };
  return {
    request,
    events: [{ id: `filed:${draft.sourceKey}`, at: now, type: 'filed', actor: draft.channel, source: draft.sourceKey, data: { status: request.status, sentAt: request.sentAt } }],
  };
}

/** Records one checklist item (a repeat with the same id changes nothing; a new entry replaces the item). */
export function recordInspectionItem(
  request: ServiceRequest,
  input: { item: InspectionItemInput; atMs: number; actor: string; id: string },
): { request: ServiceRequest; events: InspectionItemEvent[] } | null {
  if (request.appliedSources.includes(input.id)) return null;
  if (request.kind !== 'inspection' || !request.inspection) {
    throw new IntakeError('NOT_FOUND', `Request ${request.number} is not an inspection; it has no checklist.`);
  }
  if (request.status === 'closed') {
    throw new IntakeError('ILLEGAL_TRANSITION', `Inspection ${request.number} is closed; its record can no longer change.`, {
      details: [{ path: 'status', message: request.status }],
    });
  }
  const recorded: RecordedItem = { ...input.item, at: new Date(input.atMs).toISOString(), by: input.actor };
  const inspection: Inspection = { ...request.inspection, checklist: { ...request.inspection.checklist, [input.item.item]: recorded } };
  return {
    request: { ...request, inspection, appliedSources: [...request.appliedSources, input.id] },
    events: [{ id: input.id, at: recorded.at, type: 'inspection-item', actor: input.actor, source: 'api', data: recorded }],
  };
}

/**
 * What closing an inspection needs and records: refused (409 CHECKLIST_INCOMPLETE, naming the
 * items) before the first three items are recorded; otherwise the Warsaw date of the closing
 * becomes the inspection date the next one is due from. Other requests pass unchanged.
 */
export function closeInspection(request: ServiceRequest, atMs: number): ServiceRequest {
  if (request.kind !== 'inspection' || !request.inspection) return request;
  const missing = missingItems(request.inspection.checklist);
  if (missing.length > 0) {
    throw new IntakeError('CHECKLIST_INCOMPLETE', `Inspection ${request.number} cannot be closed before ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} recorded.`, {
      details: missing.map((item) => ({ path: `checklist.${item}`, message: 'not recorded' })),
    });
  }
  return { ...request, inspection: { ...request.inspection, doneOn: warsawDate(atMs) } };
}
