/**
 * What the portal API answers, as zod schemas: the routes and the customer view are typed by
 * them (so an answer cannot carry a field the document does not have, or miss one it
 * requires), and the OpenAPI document's response schemas are generated from them. Error
 * answers are errors.ts's `errorAnswerSchema`, for every route of the gateway.
 */
import { z } from 'zod';
import type { RequestEventType } from '../../domain/history.js';
import { REQUEST_NUMBER } from '../../domain/request-number.js';
import { REQUEST_STATUSES } from '../../domain/request.js';

const requestNumber = z.string().regex(REQUEST_NUMBER);
const instant = z.iso.datetime();

/** A request's status as the portal reads it: `queued` until the dispatcher stamped it. */
export const PORTAL_STATUSES = ['queued', ...REQUEST_STATUSES] as const;
export const portalStatusSchema = z
  .enum(PORTAL_STATUSES)
  .describe(
    '`queued` until stamped (usually under a second). `accepted`: the response clock runs. `needs-info`, `unauthorized-reporter`, `contract-expired`: waiting for data or for HEZO to confirm. Then the engineer actions: `contacted` … `closed`.',
  );
export type PortalStatus = z.output<typeof portalStatusSchema>;

/** The answer of an accepted `POST /requests`. */
export const filedAnswerSchema = z.object({
  requestNumber: requestNumber.describe('The request number to show the user (an escalation answers the number of the request it escalates).'),
  status: portalStatusSchema,
  statusUrl: z.url().describe('Where to read the status (GET, same API key).'),
});
export type FiledAnswer = z.output<typeof filedAnswerSchema>;

/** An attachment as the customer sees it: no storage key. */
export const attachmentViewSchema = z.object({
  name: z.string().describe('The sanitized file name.'),
  type: z.string().describe('The content type as sniffed from the content.'),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type AttachmentView = z.output<typeof attachmentViewSchema>;

/** The answer of an accepted upload. */
export const attachAnswerSchema = z.object({
  requestNumber,
  attachments: z.array(attachmentViewSchema),
});
export type AttachAnswer = z.output<typeof attachAnswerSchema>;

export const deadlineViewSchema = z
  .object({
    at: instant.describe('The instant (UTC).'),
    warsaw: z.string().describe('The same instant in Warsaw time, e.g. `Mon 2026-11-30 09:30 CET`.'),
    trace: z.string().describe('How the deadline was computed from the sent time and the service window, e.g. `sent Fri 16:30 → 30 min Fri + 30 min Mon → due Mon 09:30`.'),
  })
  .describe('A deadline with its trace.');
export type DeadlineView = z.output<typeof deadlineViewSchema>;

/** The history event types a customer sees (status-view.ts decides, type by type). */
export const CUSTOMER_EVENT_TYPES = [
  'filed',
  'clock-started',
  'reassessed',
  'reply',
  'escalation',
  'escalated',
  'contacted',
  'verified',
  'shipped',
  'delivered',
  'returned',
  'closed',
  'note',
] as const satisfies readonly RequestEventType[];
export type CustomerEventType = (typeof CUSTOMER_EVENT_TYPES)[number];

export const historyItemViewSchema = z.object({
  at: instant.describe('When it was recorded.'),
  type: z.enum(CUSTOMER_EVENT_TYPES),
  by: z.enum(['you', 'HEZO', 'system']).describe('Who acted, in the customer’s terms.'),
  data: z
    .record(z.string(), z.string())
    .optional()
    .describe(
      'What the event says, by type: `filed` → `status`, `sentAt`; `clock-started` → `clockStartedAt` (when the response clock started), `responseDeadline`; `reassessed` → `status`; `reply`, `escalation` → `sentAt`, `subject`; `note` → `text`.',
    ),
});
export type HistoryItemView = z.output<typeof historyItemViewSchema>;

/** The status read-back: what a customer may see of a request. */
export const requestStatusViewSchema = z.object({
  requestNumber,
  status: portalStatusSchema,
  kind: z.enum(['service', 'escalation', 'inspection']).optional(),
  escalated: z.boolean().optional(),
  sentAt: instant.optional(),
  contractNumber: z.string().optional(),
  serialNumber: z.string().optional(),
  device: z.object({ serial: z.string(), model: z.string() }).optional(),
  subject: z.string().optional(),
  responseDeadline: deadlineViewSchema.optional().describe('By when an engineer contacts the reporter (60 minutes of service-window time).'),
  firstResponseAt: instant.optional(),
  deliveryDeadline: deadlineViewSchema.optional().describe('SOS only: by when the replacement device is delivered.'),
  returnDeadline: deadlineViewSchema.optional().describe('By when the damaged device is due back.'),
  attachments: z.array(attachmentViewSchema),
  history: z.array(historyItemViewSchema),
});
export type RequestStatusView = z.output<typeof requestStatusViewSchema>;
