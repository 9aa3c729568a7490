/**
 * The human-readable page of the portal API (`/api/v1/portal/docs`): static HTML rendered
 * from the same OpenAPI document the API serves, with no CDN and no script, so it works
 * offline and under a strict Content-Security-Policy.
 */

import { escapeHtml } from '../../util/html.js';

type Json = Record<string, unknown>;

/** `code` spans for backticked words, after escaping. */
function prose(text: unknown): string {
  return escapeHtml(typeof text === 'string' ? text : '').replace(/`([^`]+)`/g, '<code>$1</code>');
}

function resolve(doc: Json, schema: Json): Json {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  let node: unknown = doc;
  for (const part of ref.replace(/^#\//, '').split('/')) node = (node as Json)[part];
  return node as Json;
}

function typeOf(doc: Json, schema: Json): string {
  if (typeof schema.$ref === 'string') return schema.$ref.split('/').pop() ?? '';
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.type === 'array') return `${typeOf(doc, (schema.items as Json | undefined) ?? {})}[]`;
  return [schema.type, schema.format, schema.pattern ? `/${String(schema.pattern)}/` : ''].filter(Boolean).join(' ');
}

function schemaTable(doc: Json, schema: Json): string {
  const resolved = resolve(doc, schema);
  const properties = (resolved.properties ?? {}) as Record<string, Json>;
  const required = new Set((resolved.required as string[] | undefined) ?? []);
  const rows = Object.entries(properties).map(([name, property]) => {
    const nested = property.type === 'object' && property.properties ? schemaTable(doc, property) : '';
    return `<tr><td><code>${escapeHtml(name)}</code>${required.has(name) ? ' <b>required</b>' : ''}</td><td>${escapeHtml(typeOf(doc, property))}</td><td>${prose(property.description)}${nested}</td></tr>`;
  });
  return rows.length > 0 ? `<table><tr><th>field</th><th>type</th><th>meaning</th></tr>${rows.join('')}</table>` : '';
}

/** The page for a document built by `portalOpenApiDocument`. */
export function renderDocsPage(doc: Json): string {
  const info = doc.info as Json;
  const server = ((doc.servers as Json[])[0]?.url as string | undefined) ?? '';
  const sections: string[] = [];
  for (const [path, operations] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    for (const [method, operation] of Object.entries(operations)) {
      const parameters = ((operation.parameters as Json[] | undefined) ?? [])
        .map((p) => `<li><code>${escapeHtml(String(p.name))}</code> (${escapeHtml(String(p.in))}${p.required ? ', required' : ''}): ${escapeHtml(typeOf(doc, p.schema as Json))} ${prose(p.description)}</li>`)
        .join('');
      const body = operation.requestBody as Json | undefined;
      const bodyHtml = body
        ? Object.entries(body.content as Record<string, Json>)
            .map(([type, media]) => `<h4>Body <code>${escapeHtml(type)}</code></h4>${prose((resolve(doc, media.schema as Json)).description)}${schemaTable(doc, media.schema as Json)}`)
            .join('')
        : '';
      const responses = Object.entries(operation.responses as Record<string, Json>)
        .map(([status, response]) => {
          const schema = (response.content as Record<string, Json> | undefined)?.['application/json']?.schema as Json | undefined;
          return `<tr><td>${escapeHtml(status)}</td><td>${prose(response.description)}</td><td>${schema ? escapeHtml(typeOf(doc, schema)) : ''}</td></tr>`;
        })
        .join('');
      sections.push(
        `<section><h2><span class="method">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h2><p>${prose(operation.summary)}. ${prose(operation.description)}</p>` +
          (parameters ? `<h4>Parameters</h4><ul>${parameters}</ul>` : '') +
          bodyHtml +
          `<h4>Responses</h4><table><tr><th>status</th><th>meaning</th><th>body</th></tr>${responses}</table></section>`,
      );
    }
  }
  const schemas = Object.entries(((doc.components as Json).schemas ?? {}) as Record<string, Json>)
    .map(([name, schema]) => `<section><h3 id="${escapeHtml(name)}">${escapeHtml(name)}</h3>${schemaTable(doc, schema)}</section>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(String(info.title))}</title>
<style>body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}table{border-collapse:collapse;margin:.5rem 0;width:100%}td,th{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}code{background:#f3f3f3;padding:0 .2rem}.method{background:#1d4ed8;color:#fff;padding:.1rem .4rem;border-radius:.2rem;font-size:.8em}section{margin-bottom:2rem}</style>
</head><body>
<h1>${escapeHtml(String(info.title))} <small>${escapeHtml(String(info.version))}</small></h1>
<p>${prose(info.description)}</p>
<p>Base URL: <code>${escapeHtml(server)}</code> · machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI 3.1)</p>
${sections.join('\n')}
<h2>Schemas</h2>${schemas}
</body></html>`;
}
