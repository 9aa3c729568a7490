/**
 * The bodies of the workbench's actions, one definition for both doors (the engineer API and
 * the ops page's JSON routes), so that a rule about input is written once.
 */
import { z } from 'zod';
import { parseRequestNumber } from '../domain/request-number.js';
import { CONTACT_VIA, RESOLUTION_KINDS } from '../domain/request.js';
import { IntakeError } from '../errors.js';

const clientId = z.string().min(1).max(200);
const requestNumber = z
  .string()
  .max(40)
  .transform((text, context) => {
    const number = parseRequestNumber(text);
    if (number === null) context.addIssue({ code: 'custom', message: 'expected a request number like HZ-2026-000123' });
    return number ?? '';
  });

/** Any action (contacted, verified, ..., closed): when, how, how it ended. */
export const actionBody = z
  .object({
    /** When it happened, if not now (a call logged afterwards); never in the future. */
    at: z.iso.datetime({ offset: true }).optional(),
    note: z.string().max(10_000).optional(),
    /** Client-chosen id: a retried POST records the action once. */
    id: clientId.optional(),
    /** `contacted`: how the reporter was reached. */
    via: z.enum(CONTACT_VIA).optional(),
    /** `closed`: required. */
    resolution: z.enum(RESOLUTION_KINDS).optional(),
    /** `closed` as `duplicate`: the original's number. */
    of: requestNumber.optional(),
  })
  .strict();
export type ActionBody = z.output<typeof actionBody>;

/** PATCH: the data an engineer corrects; an empty string clears a field. */
export const editBody = z
  .object({
    contractNumber: z.string().max(100).optional(),
    serialNumber: z.string().max(100).optional(),
    reporter: z.object({ name: z.string().max(200).optional(), email: z.union([z.literal(''), z.email().max(320)]).optional(), phone: z.string().max(40).optional() }).strict().optional(),
    /** When the data arrived (the clock of a request that waited for it starts then); default now. */
    at: z.iso.datetime({ offset: true }).optional(),
    id: clientId.optional(),
  })
  .strict()
  .refine((body) => body.contractNumber !== undefined || body.serialNumber !== undefined || body.reporter !== undefined, {
    message: 'give at least one of contractNumber, serialNumber, reporter',
  });

export const idOnlyBody = z.object({ id: clientId.optional() }).strict();
export const assignBody = z.object({ to: z.string().min(1).max(200), id: clientId.optional() }).strict();
export const reopenBody = z.object({ reason: z.string().trim().min(1).max(2_000), id: clientId.optional() }).strict();
export const mergeBody = z.object({ into: requestNumber, id: clientId.optional() }).strict();
export const replyBody = z.object({ text: z.string().trim().min(1).max(20_000), language: z.enum(['pl', 'en']).optional(), id: clientId.optional() }).strict();

/** "at" as given, or now; refused in the future (a minute of clock skew allowed). */
export function actionTime(at: string | undefined, nowMs: number): number {
  if (!at) return nowMs;
  const atMs = Date.parse(at);
  if (atMs > nowMs + 60_000) throw new IntakeError('INPUT_INVALID', 'at must not be in the future.', { details: [{ path: 'at', message: 'must not be in the future' }] });
  return atMs;
}

/** An assignee must be an engineer this gateway knows (an ops login or an API token name). */
export function knownAssignee(to: string, engineers: readonly string[]): string {
  if (!engineers.includes(to)) {
    throw new IntakeError('INPUT_INVALID', `"${to}" is not an engineer here; one of: ${engineers.join(', ')}.`, { details: [{ path: 'to', message: 'unknown engineer' }] });
  }
  return to;
}
