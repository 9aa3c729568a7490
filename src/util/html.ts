/**
 * HTML escaping for the few pages the server renders itself (the ops sign-in and shell, the
 * portal's form and API documentation). Request data never goes into them: the ops page's
 * browser code writes it with textContent.
 */

/**
 * Escapes text for an HTML element or a quoted attribute (double or single): `&`, `<`, `>`,
 * `"` and `'` become numeric references (`&#60;`).
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
