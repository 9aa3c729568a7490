/**
 * The portal's pure rules, without servers: key matching, body hashing for Idempotency-Key,
 * executable detection, the sentAt bounds and what a customer may see of a request.
 * (Kept beside the portal's integration tests: they are the portal's files.)
 */
import { describe, expect, it } from 'vitest';
import { DEMO_PORTAL_KEY, demoPortalKey, effectiveKeys, hashApiKey } from '../../src/channels/portal/api-keys.js';
import { ownerOfToken as clientOfKey } from '../../src/util/bearer-token.js';
import { bodyHash } from '../../src/channels/portal/idempotency.js';
import { SENT_AT_CLOCK_SKEW_MS, portalRequestProblems, portalRequestSchema } from '../../src/channels/portal/schemas.js';
import { contractNumberSchema } from '../../src/domain/registry-rules.js';
import { customerView } from '../../src/channels/portal/status-view.js';
import { executableReason } from '../../src/channels/portal/uploads.js';
import type { RequestEvent } from '../../src/domain/history.js';
import type { ServiceRequest } from '../../src/domain/request.js';

describe('API keys', () => {
  const keys = effectiveKeys({ alpha: hashApiKey('alpha-key'), beta: hashApiKey('beta-key') });
  it('finds the client of a key and nobody for a wrong, empty or demo key', () => {
    expect(clientOfKey('beta-key', keys)).toBe('beta');
    expect(clientOfKey('beta-key ', keys)).toBeNull();
    expect(clientOfKey('', keys)).toBeNull();
    expect(clientOfKey(DEMO_PORTAL_KEY, keys)).toBeNull();
  });
  it('has a demo key only while no keys are configured', () => {
    expect(demoPortalKey({})).toBe(DEMO_PORTAL_KEY);
    expect(clientOfKey(DEMO_PORTAL_KEY, effectiveKeys({}))).toBe('demo');
    expect(demoPortalKey({ alpha: hashApiKey('alpha-key') })).toBeNull();
  });
});

describe('contract numbers', () => {
  it('the portal accepts exactly the contract numbers the registry accepts', () => {
    const portal = portalRequestSchema.shape.contractNumber;
    for (const number of ['HZ-2026-00123', 'hz-2026-00123', 'XY-2026-00123', 'HZ-1', 'K12', 'HZ-ABC', 'HZ 2026 00123', 'HZ--2026', '-HZ-1', 'HZ-2026-00123-']) {
      expect(portal.safeParse(number).success, number).toBe(contractNumberSchema.safeParse(number).success);
    }
    expect(portal.safeParse('XY-2026-00123').success).toBe(true);
    expect(portal.safeParse('HZ 2026 00123').success).toBe(false);
  });
});

describe('body hash', () => {
  it('ignores key order but not values', () => {
    expect(bodyHash({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(bodyHash({ b: { d: 'x', c: [1, 2] }, a: 1 }));
    expect(bodyHash({ a: 1, b: { c: [2, 1] } })).not.toBe(bodyHash({ a: 1, b: { c: [1, 2] } }));
  });
});

describe('executables', () => {
  it('are told by magic numbers and by extension, whatever the claimed name', () => {
    expect(executableReason('log.txt', Buffer.from('MZ\x90\x00'))).toContain('Windows');
    expect(executableReason('core', Buffer.from([0x7f, 0x45, 0x4c, 0x46]))).toContain('ELF');
    expect(executableReason('x', Buffer.from([0xcf, 0xfa, 0xed, 0xfe]))).toContain('Mach-O');
    expect(executableReason('collect', Buffer.from('#!/bin/bash\n'))).toContain('script');
    expect(executableReason('setup.MSI', Buffer.from('anything'))).toContain('.msi');
    expect(executableReason('robot.log', Buffer.from('2026-11-26 error 0x42'))).toBeNull();
    expect(executableReason('logs.zip', Buffer.from('PK\x03\x04'))).toBeNull();
  });

  it('are told by the name the file is stored under, not only the name as sent', () => {
    const text = Buffer.from('echo hello');
    // Stored (and saved by Windows) as `fix-robot.bat`, `collect.ps1`.
    expect(executableReason('fix-robot.bat.', text)).toContain('.bat');
    expect(executableReason('fix-robot.bat \t', text)).toContain('.bat');
    expect(executableReason('collect.PS1. .', text)).toContain('.ps1');
    // Names are cut to 200 characters when stored: the cut can end on an extension.
    expect(executableReason(`${'a'.repeat(196)}.exe.log`, text)).toContain('.exe');
    expect(executableReason(`${'a'.repeat(195)}.bat.zzz`, text)).toContain('.bat');
    expect(executableReason('robot.log.', text)).toBeNull();
    expect(executableReason('batch.log', text)).toBeNull();
  });
});

describe('sentAt bounds', () => {
  const now = Date.parse('2026-11-26T10:00:00Z');
  const base = { reporter: { name: 'A', email: 'a@example.pl' }, contractNumber: 'HZ-2026-00123', serialNumber: 'XLS812-240517', subject: 's', description: 'd', language: 'pl' };
  const problemsAt = (sentAt: string) => portalRequestProblems({ ...base, sentAt }, now, 3_600_000).problems;
  it('allows small clock skew and up to the configured age', () => {
    expect(problemsAt(new Date(now + SENT_AT_CLOCK_SKEW_MS).toISOString())).toEqual([]);
    expect(problemsAt(new Date(now - 3_600_000).toISOString())).toEqual([]);
    expect(problemsAt(new Date(now + SENT_AT_CLOCK_SKEW_MS + 1000).toISOString())).toEqual([{ path: 'sentAt', message: 'lies in the future' }]);
    expect(problemsAt(new Date(now - 3_600_001).toISOString())[0]?.path).toBe('sentAt');
  });
});

describe('customer view', () => {
  it('shows the status and deadline in Warsaw time and hides internal events and engineer names', () => {
    const request = {
      number: 'HZ-2026-000001',
      status: 'contacted',
      kind: 'service',
      escalated: false,
      sentAt: '2026-11-27T15:30:00.000Z',
      reason: 'engineer-only reason',
      responseDeadline: { at: '2026-11-30T08:30:00.000Z', trace: 'sent Fri 16:30 → due Mon 09:30' },
      attachments: [],
      raw: { payload: { client: 'alpha' } },
    } as unknown as ServiceRequest;
    const history: RequestEvent[] = [
      { id: '1', at: '2026-11-27T15:30:01.000Z', type: 'filed', actor: 'portal', source: 'k', data: { status: 'accepted', reason: 'secret', sentAt: '2026-11-27T15:30:00.000Z' } },
      { id: '2', at: '2026-11-30T08:00:00.000Z', type: 'contacted', actor: 'engineer:jan', source: 'api', data: { from: 'accepted', to: 'contacted', note: 'called, grumpy' } },
      { id: '3', at: '2026-11-30T08:01:00.000Z', type: 'note', actor: 'engineer:jan', source: 'api', internal: true, data: { text: 'internal' } },
      // A type this version does not write (a newer one might): it stays hidden.
      { id: '4', at: '2026-11-30T08:02:00.000Z', type: 'response-warning', actor: 'system', source: 'timer' } as unknown as RequestEvent,
    ];
    const view = customerView('HZ-2026-000001', request, history);
    expect(view.responseDeadline).toEqual({ at: '2026-11-30T08:30:00.000Z', warsaw: 'Mon 2026-11-30 09:30 CET', trace: 'sent Fri 16:30 → due Mon 09:30' });
    expect(view.history).toEqual([
      { at: '2026-11-27T15:30:01.000Z', type: 'filed', by: 'you', data: { status: 'accepted', sentAt: '2026-11-27T15:30:00.000Z' } },
      { at: '2026-11-30T08:00:00.000Z', type: 'contacted', by: 'HEZO' },
    ]);
    expect(JSON.stringify(view)).not.toMatch(/secret|grumpy|internal|jan|alpha|engineer-only/);
    expect(customerView('HZ-2026-000002', null, [])).toEqual({ requestNumber: 'HZ-2026-000002', status: 'queued', attachments: [], history: [] });
  });

  it('shows the registry\'s device only to a reporter known to represent the contract (a started clock)', () => {
    // Issue 20: what the registry knows of a serial is not told to whoever files it.
    const request = {
      number: 'HZ-2026-000003',
      status: 'unauthorized-reporter',
      kind: 'service',
      escalated: false,
      sentAt: '2026-11-27T15:30:00.000Z',
      reporter: { email: 'ktos@example.com' },
      contractNumber: 'HZ-2025-00017',
      customer: 'Spółdzielnia Mleczarska Mazowsze-Wschód',
      serialNumber: 'Q80-25-00412',
      device: { serial: 'Q80-25-00412', model: 'HEZO Q80' },
      attachments: [],
      raw: { payload: {} },
    } as unknown as ServiceRequest;
    const view = customerView('HZ-2026-000003', request, []);
    expect(view.device).toBeUndefined();
    expect(view.serialNumber).toBe('Q80-25-00412');
    expect(JSON.stringify(view)).not.toMatch(/Spółdzielnia|HEZO Q80/);
    expect(customerView('HZ-2026-000003', { ...request, status: 'accepted', clockStartedAt: '2026-11-27T15:30:00.000Z' }, []).device).toEqual({ serial: 'Q80-25-00412', model: 'HEZO Q80' });
  });
});
