/**
 * The helpers written once in src/util/: HTML escaping, bearer-token matching and the address
 * of a mailbox.
 */
import { describe, expect, it } from 'vitest';
import { bearerTokenOf, ownerOfToken, tokenDigest } from '../../src/util/bearer-token.js';
import { escapeHtml } from '../../src/util/html.js';
import { bareAddress, mailboxAddress } from '../../src/util/mail-address.js';

describe('escapeHtml', () => {
  it('leaves no markup, entity or attribute quote of either kind standing', () => {
    expect(escapeHtml(`<a href='x' title="y">&amp;</a>`)).toBe('&#60;a href=&#39;x&#39; title=&#34;y&#34;&#62;&#38;amp;&#60;/a&#62;');
    expect(escapeHtml('Zgłoszenie HZ-2026-000123')).toBe('Zgłoszenie HZ-2026-000123');
  });
});

describe('bearer tokens', () => {
  const owners = [
    { name: 'ewa', digest: tokenDigest('token-of-ewa') },
    { name: 'piotr', digest: tokenDigest('token-of-piotr') },
  ];

  it('finds whose token was presented, and nobody for a wrong, longer, empty or absent one', () => {
    expect(ownerOfToken('token-of-piotr', owners)).toBe('piotr');
    expect(ownerOfToken('token-of-ewa', owners)).toBe('ewa');
    expect(ownerOfToken('token-of-ewa ', owners)).toBeNull();
    expect(ownerOfToken('token-of-ewa-and-more', owners)).toBeNull();
    expect(ownerOfToken('', owners)).toBeNull();
    expect(ownerOfToken('', [{ name: 'blank', digest: tokenDigest('') }])).toBeNull();
  });

  it('reads the token of an Authorization header in any case of "Bearer", and none of another scheme', () => {
    expect(bearerTokenOf('Bearer abc.def')).toBe('abc.def');
    expect(bearerTokenOf('bearer   abc')).toBe('abc');
    expect(bearerTokenOf('Basic YWxhZGRpbjpvcGVu')).toBe('');
    expect(bearerTokenOf('Bearer a b')).toBe('');
    expect(bearerTokenOf(undefined)).toBe('');
  });
});

describe('mailbox addresses', () => {
  it('take the address in angle brackets, or the whole text, keeping case until compared', () => {
    expect(mailboxAddress('myHEZO Pomoc <Pomoc@myhezo.pl>')).toBe('Pomoc@myhezo.pl');
    expect(mailboxAddress(' pomoc@myhezo.pl ')).toBe('pomoc@myhezo.pl');
    expect(bareAddress('"Nowak, Anna" <Anna.Nowak@Example.PL>')).toBe('anna.nowak@example.pl');
    expect(bareAddress('<>')).toBe('');
  });
});
