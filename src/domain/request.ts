/**
 * The shapes that cross the gateway: the IntakeDraft every channel hands to submit(), and the
 * ServiceRequest the dispatcher stores. Pure data and rules, no I/O.
 */
import { z } from 'zod';
import type { Inspection } from './inspections.js';

/** Where a request came from; `schedule` is the gateway itself (a yearly inspection falling due). */
export const CHANNELS = ['phone', 'email', 'portal', 'schedule'] as const;
export type Channel = (typeof CHANNELS)[number];

/** What a request is about: a failure, an escalation of one, or a yearly inspection. */
export const REQUEST_KINDS = ['service', 'escalation', 'inspection'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

const instant = z.iso.datetime({ offset: true, message: 'expected an ISO-8601 instant with an offset or Z' });

export const attachmentSchema = z
  .object({
    /** Sanitized file name, safe to show and to offer as a download name. */
    name: z.string().min(1).max(255),
    type: z.string().min(1).max(255),
    size: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** Where the attachment store keeps it (a key, never a path from the sender). */
    storageKey: z.string().min(1).max(512),
  })
  .strict();
export type Attachment = z.infer<typeof attachmentSchema>;

export const reporterSchema = z
  .object({
    name: z.string().max(200).optional(),
    email: z.string().max(320).optional(),
    phone: z.string().max(40).optional(),
  })
  .strict();
export type Reporter = z.infer<typeof reporterSchema>;

/** What a bounce says about the acknowledgment it returns (the DSN's fields, when it has them). */
export const undeliverableSchema = z
  .object({
    /** The address that refused the mail (Final-Recipient), else the one it was sent to. */
    recipient: z.string().max(320).optional(),
    /** The DSN status code (`5.1.1`). */
    status: z.string().max(20).optional(),
    /** The receiving server's words (Diagnostic-Code). */
    diagnostic: z.string().max(1000).optional(),
    /** Our Message-ID the bounce names: the acknowledgment that came back. */
    messageId: z.string().max(1000).optional(),
  })
  .strict();
export type Undeliverable = z.infer<typeof undeliverableSchema>;

/** The one shape every channel hands to intake (DESIGN.md section 4). */
export const intakeDraftSchema = z
  .object({
    channel: z.enum(CHANNELS),
    /** `inspection`: a yearly inspection under system care, filed by the gateway (channel `schedule`). */
    kind: z.enum(REQUEST_KINDS),
    /** CallSid, `mail:<Message-ID>`, portal client + idempotency key: the same input twice is one request. */
    sourceKey: z.string().min(1).max(1000),
    /** When the customer sent it: call start, INTERNALDATE, portal submission. */
    sentAt: instant,
    reporter: reporterSchema,
    serialNumber: z.string().max(100).optional(),
    contractNumber: z.string().max(100).optional(),
    subject: z.string().max(2000).optional(),
    description: z.string().max(100_000).optional(),
    language: z.enum(['pl', 'en']),
    attachments: z.array(attachmentSchema).max(1000).default([]),
    /** Request numbers or Message-IDs this input answers; a match attaches it to that request. */
    references: z.array(z.string().max(1000)).max(100).default([]),
    /** Where the original is kept, and the vendor payload as received (kept beside the draft). */
    raw: z
      .object({
        location: z.string().max(2000).optional(),
        /** Channel-specific details (collected IVR answers, Message-ID, portal client name). */
        payload: z.record(z.string(), z.unknown()).optional(),
      })
      .strict()
      .default({}),
    /** Old mail imported on first connection: stamp it, but send no acknowledgment. */
    silent: z.boolean().default(false),
    /**
     * A bounce of our acknowledgment: attached to the request `references` names as
     * "acknowledgment undeliverable" (the reporter's address is wrong), never a request of its
     * own — submit() refuses it (NOT_FOUND) when no such request exists.
     */
    undeliverable: undeliverableSchema.optional(),
  })
  .strict();
export type IntakeDraft = z.input<typeof intakeDraftSchema>;
export type ValidDraft = z.output<typeof intakeDraftSchema>;

/**
 * Where a request stands. `accepted` is the only state whose response clock runs; the three
 * states before it are open but wait for data or for a person.
 */
export const REQUEST_STATUSES = [
  'needs-info',
  'unauthorized-reporter',
  'contract-expired',
  'accepted',
  'contacted',
  'verified',
  'shipped',
  'delivered',
  'returned',
  'closed',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export type Acceptability = 'accepted' | 'needs-info' | 'unauthorized-reporter' | 'contract-expired';

/** Engineer actions (DESIGN.md section 1) and which statuses each may follow. */
export const ACTIONS = {
  // Only an accepted request has a first response to record. Before that (data missing, a
  // reporter to confirm, an expired contract) a call to the customer is a note: recorded as
  // "contacted" it ended those states — a reply with the serial was no longer assessed, the
  // reporter could no longer be confirmed, and "verified" started a delivery clock without a
  // valid contract.
  contacted: ['accepted'],
  'reporter-confirmed': ['unauthorized-reporter'],
  verified: ['contacted'],
  shipped: ['verified'],
  delivered: ['shipped'],
  returned: ['delivered'],
  closed: ['needs-info', 'unauthorized-reporter', 'contract-expired', 'accepted', 'contacted', 'verified', 'shipped', 'delivered', 'returned'],
} as const satisfies Record<string, readonly RequestStatus[]>;
export type Action = keyof typeof ACTIONS;

/** The status an action leads to. `reporter-confirmed` starts the clock: the request becomes accepted. */
export function statusAfter(action: Action): RequestStatus {
  return action === 'reporter-confirmed' ? 'accepted' : action;
}

export function canApply(action: Action, status: RequestStatus): boolean {
  return (ACTIONS[action] as readonly RequestStatus[]).includes(status);
}

export interface Deadline {
  at: string;
  trace: string;
}

/** The request as stored and shown to engineers. */
export interface ServiceRequest {
  number: string;
  status: RequestStatus;
  acceptability: Acceptability;
  /** Why it is not accepted, in words an engineer can act on. */
  reason?: string;
  channel: Channel;
  kind: RequestKind;
  escalated: boolean;
  sourceKey: string;
  sentAt: string;
  /** When the response clock started: sentAt, or when missing data / confirmation arrived. */
  clockStartedAt?: string;
  stampedAt: string;
  language: 'pl' | 'en';
  reporter: Reporter;
  /** As given by the reporter, and as matched against the registry. */
  serialNumber?: string;
  contractNumber?: string;
  customer?: string;
  device?: { serial: string; model: string };
  package?: 'SOS' | 'AHB';
  window?: '8x5' | '24x7';
  onsite?: '8h' | 'NBD' | null;
  subject?: string;
  description?: string;
  attachments: Attachment[];
  raw: { location?: string; payload?: Record<string, unknown> };
  responseDeadline?: Deadline;
  firstResponse?: { at: string; by: string; met: boolean; via?: ContactVia };
  deliveryDeadline?: Deadline;
  returnDeadline?: Deadline;
  /** The engineer (ops login or API token name) working on it; absent: nobody took it. */
  owner?: string;
  /** Who confirmed an unauthorized reporter, and when (the clock started then). */
  reporterConfirmation?: { at: string; by: string };
  /** Why and how a closed request was closed; removed when it is reopened. */
  resolution?: Resolution;
  /** Set on a duplicate folded into another request (`POST .../merge`). */
  mergedInto?: string;
  /** A yearly inspection (kind `inspection`): its due date in place of the one-hour clock, and its checklist. */
  inspection?: Inspection;
  /** Sources already applied (replies, escalations), so a replayed job changes nothing. */
  appliedSources: string[];
  /**
   * When its personal data was removed (src/privacy): the whole request's (retention of a
   * closed request, a data subject's erasure), and separately its call recordings' addresses.
   */
  personalDataRemoved?: { at: string; reason: 'retention' | 'erasure' };
  recordingsRemovedAt?: string;
  updatedAt: string;
  version: number;
}

/** How a request can be closed (issue 18): a close without one of these is refused. */
export const RESOLUTION_KINDS = ['resolved-remotely', 'part-replaced', 'device-replaced', 'duplicate', 'not-covered', 'withdrawn'] as const;
export type ResolutionKind = (typeof RESOLUTION_KINDS)[number];

export interface Resolution {
  kind: ResolutionKind;
  /** For `duplicate`: the request this one duplicates. */
  of?: string;
  at: string;
  by: string;
  /** The status it was closed from: a reopen returns it there. */
  closedFrom: RequestStatus;
}

/** How an engineer reached the reporter. */
export const CONTACT_VIA = ['phone', 'mail', 'on-site'] as const;
export type ContactVia = (typeof CONTACT_VIA)[number];

export const OPEN_STATUSES: readonly RequestStatus[] = REQUEST_STATUSES.filter((s) => s !== 'closed');
