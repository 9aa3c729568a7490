/** The upload allow-list, apart from the upload code so that the API document can name it. */

/**
 * What may be uploaded: extension → what its content must be. `text`: nothing file-type
 * recognises as a binary format (XML is text), no NUL bytes (UTF-16 with its BOM excepted).
 */
export const ALLOWED_ATTACHMENTS: Readonly<Record<string, 'text' | readonly string[]>> = {
  txt: 'text',
  log: 'text',
  csv: 'text',
  json: 'text',
  xml: 'text',
  pdf: ['application/pdf'],
  png: ['image/png'],
  jpg: ['image/jpeg'],
  jpeg: ['image/jpeg'],
  gif: ['image/gif'],
  webp: ['image/webp'],
  zip: ['application/zip'],
  gz: ['application/gzip'],
  tgz: ['application/gzip'],
  '7z': ['application/x-7z-compressed'],
};

/** ".txt, .log, …" for messages and the API document. */
export const ALLOWED_EXTENSIONS_TEXT = Object.keys(ALLOWED_ATTACHMENTS)
  .map((extension) => `.${extension}`)
  .join(', ');
