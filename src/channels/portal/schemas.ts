/**
 * What the portal's back end sends: the request body of `POST /requests` as a zod schema (the
 * OpenAPI document's request schema is generated from it, so the two cannot drift), and the
 * checks zod cannot express alone — which fields each kind needs, and the bounds of `sentAt`
 * against the clock. Pure: no I/O, the clock is a parameter.
 */
import { z } from 'zod';
import { CONTRACT_NUMBER } from '../../domain/registry-rules.js';
import type { IntakeDraft } from '../../domain/request.js';
import { REQUEST_NUMBER } from '../../domain/request-number.js';
import type { IntakeErrorDetail } from '../../errors.js';

/** How far in the future a `sentAt` may lie: the portal's clock and ours are not one clock. */
export const SENT_AT_CLOCK_SKEW_MS = 60_000;

export const portalReporterSchema = z
  .object({
    name: z.string().trim().min(1).max(200).describe('Full name of the person reporting (a representative named in the contract).'),
    email: z.email().max(320).describe('Their e-mail address; it is matched against the contract representatives.'),
    phone: z
      .string()
      .max(40)
      .regex(/^\+?[0-9 ()-]{6,39}$/, 'expected a phone number such as +48 600 100 200')
      .optional()
      .describe('Their phone number, for the engineer’s call-back.'),
  })
  .strict();

/** The body of `POST /requests`. Which fields a kind requires is checked by `portalRequestProblems`. */
export const portalRequestSchema = z
  .object({
    kind: z.enum(['service', 'escalation']).default('service').describe('`service`: a new failure report. `escalation`: escalates the request named in `escalates`.'),
    reporter: portalReporterSchema,
    contractNumber: z
      .string()
      .regex(CONTRACT_NUMBER, 'expected a contract number such as HZ-2026-00123: letters and digits in groups joined by single dashes, with at least one digit')
      .optional()
      .describe('The service contract, e.g. HZ-2026-00123. Required for `service`.'),
    serialNumber: z
      .string()
      .trim()
      .min(4)
      .max(100)
      .regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, 'expected a serial number of letters, digits and dashes')
      .optional()
      .describe('Serial number of the failed device, e.g. XLS812-240517. Required for `service`.'),
    subject: z.string().trim().min(1).max(2000).optional().describe('A one-line summary. Required for `service`.'),
    description: z.string().trim().min(1).max(100_000).describe('What happened: symptoms, error codes, what was tried.'),
    language: z.enum(['pl', 'en']).describe('The language of the answers to the reporter.'),
    sentAt: z.iso
      .datetime({ offset: true, message: 'expected an ISO-8601 instant with an offset or Z' })
      .optional()
      .describe('When the user submitted it on the portal (the response clock starts here). Not in the future, not older than the configured limit (7 days by default). Default: now.'),
    escalates: z
      .string()
      .regex(REQUEST_NUMBER, 'expected a request number such as HZ-2026-000123')
      .optional()
      .describe('For `escalation`: the request being escalated (one filed with the same API key).'),
  })
  .strict();

export type PortalRequestInput = z.input<typeof portalRequestSchema>;
export type PortalRequest = z.output<typeof portalRequestSchema>;

/**
 * Every problem of a body at once: zod's, plus the per-kind required fields and the `sentAt`
 * bounds (checked on the raw input too, so one answer names them all). Empty: acceptable.
 */
export function portalRequestProblems(body: unknown, nowMs: number, sentAtMaxAgeMs: number): { request?: PortalRequest; problems: IntakeErrorDetail[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { problems: [{ path: '(root)', message: 'expected a JSON object' }] };
  }
  const parsed = portalRequestSchema.safeParse(body);
  const problems: IntakeErrorDetail[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(root)', message: issue.message }));
  const seen = new Set(problems.map((p) => p.path));
  const add = (path: string, message: string): void => {
    if (!seen.has(path)) problems.push({ path, message });
    seen.add(path);
  };

  const raw = body as Record<string, unknown>;
  const kind = raw.kind ?? 'service';
  if (kind === 'service') {
    for (const field of ['contractNumber', 'serialNumber', 'subject'] as const) {
      if (raw[field] === undefined) add(field, `required for a service request`);
    }
    if (raw.escalates !== undefined) add('escalates', 'only an escalation names the request it escalates');
  } else if (kind === 'escalation' && raw.escalates === undefined) {
    add('escalates', 'required for an escalation: the request number, e.g. HZ-2026-000123');
  }
  if (typeof raw.sentAt === 'string' && !seen.has('sentAt')) {
    const sentAtMs = Date.parse(raw.sentAt);
    if (sentAtMs > nowMs + SENT_AT_CLOCK_SKEW_MS) add('sentAt', 'lies in the future');
    else if (sentAtMs < nowMs - sentAtMaxAgeMs) add('sentAt', `is older than ${Math.round(sentAtMaxAgeMs / 3_600_000)} hours; file it without sentAt`);
  }
  return parsed.success && problems.length === 0 ? { request: parsed.data, problems } : { problems };
}

/** The draft a valid portal body becomes; `client` is the API key's name. */
export function portalDraft(request: PortalRequest, client: string, sourceKey: string, nowMs: number): IntakeDraft {
  return {
    channel: 'portal',
    kind: request.kind,
    sourceKey,
    sentAt: request.sentAt ? new Date(Date.parse(request.sentAt)).toISOString() : new Date(nowMs).toISOString(),
    reporter: {
      name: request.reporter.name,
      email: request.reporter.email,
      ...(request.reporter.phone ? { phone: request.reporter.phone } : {}),
    },
    ...(request.contractNumber ? { contractNumber: request.contractNumber } : {}),
    ...(request.serialNumber ? { serialNumber: request.serialNumber } : {}),
    ...(request.subject ? { subject: request.subject } : {}),
    description: request.description,
    language: request.language,
    attachments: [],
    references: request.escalates ? [request.escalates] : [],
    raw: { payload: { client, ...(request.escalates ? { escalates: request.escalates } : {}) } },
  };
}
