import { describe, expect, it, vi } from 'vitest';
import { closeWithin, StopBudget, withTimeout } from '../../src/util/timeouts.js';

const after = <T>(ms: number, value: T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value), ms));

describe('withTimeout', () => {
  it('answers what the work answers when it is in time', async () => {
    await expect(withTimeout(after(5, 'done'), 1_000, () => 'late')).resolves.toBe('done');
  });

  it('answers the fallback once the deadline passes first', async () => {
    const started = Date.now();
    await expect(withTimeout(after(2_000, 'done'), 50, () => 'late')).resolves.toBe('late');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('rejects with what the timeout handler throws', async () => {
    await expect(
      withTimeout(after(2_000, 'done'), 20, () => {
        throw new RangeError('too slow');
      }),
    ).rejects.toThrow('too slow');
  });

  it('passes the work’s own failure through', async () => {
    await expect(withTimeout(Promise.reject(new RangeError('refused')), 1_000, () => 'late')).rejects.toThrow('refused');
  });

  it('leaves no unhandled rejection when the work fails after its deadline', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const late = new Promise((_, reject) => setTimeout(() => reject(new RangeError('late failure')), 30));
      await expect(withTimeout(late, 5, () => 'gave up')).resolves.toBe('gave up');
      await after(60, undefined);
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});

describe('closeWithin', () => {
  it('does not stop hard what closes in time', async () => {
    const hardStop = vi.fn();
    await expect(closeWithin(() => after(5, undefined), 1_000, hardStop)).resolves.toBe(true);
    expect(hardStop).not.toHaveBeenCalled();
  });

  it('stops hard what does not close in time, and goes on', async () => {
    const hardStop = vi.fn();
    await expect(closeWithin(() => new Promise(() => undefined), 30, hardStop)).resolves.toBe(false);
    expect(hardStop).toHaveBeenCalledOnce();
  });

  it('counts a failed or throwing close as closed', async () => {
    const hardStop = vi.fn();
    await expect(closeWithin(() => Promise.reject(new RangeError('already closed')), 1_000, hardStop)).resolves.toBe(true);
    await expect(
      closeWithin(
        () => {
          throw new RangeError('thrown at once');
        },
        1_000,
        hardStop,
      ),
    ).resolves.toBe(true);
    expect(hardStop).not.toHaveBeenCalled();
  });
});

describe('StopBudget', () => {
  it('gives each step its cap while time is left, and what is left after that', async () => {
    const budget = new StopBudget(100);
    expect(budget.grace(30)).toBe(30);
    // 85, not 80: a Node timer may fire a millisecond before Date.now() says its time is up.
    await after(85, undefined);
    expect(budget.grace(30)).toBeLessThanOrEqual(20);
    await after(30, undefined);
    expect(budget.grace(30)).toBe(0);
    expect(budget.spent).toBe(true);
  });
});
