/**
 * Installing an application package — the zip `now-sdk pack` writes — into the mock instance:
 * its update records (`update/*.xml`, `<record_update>` documents) are read with a zip reader
 * (`fflate`) and an XML parser (`fast-xml-parser`), and the records a front-end app needs are
 * kept: `sys_ui_page` (served at `/<endpoint>`), `sys_ux_lib_asset` (served at
 * `/uxasset/externals/<name>.jsdbx`, inline or from its gzipped attachment). `sys_ux_theme_asset`
 * records are read and listed but not served: the URL an instance serves them at is not known here.
 * Every other table is listed as ignored.
 */
import { gunzipSync, strFromU8, unzipSync } from 'fflate';
import { XMLParser } from 'fast-xml-parser';

export interface UiPageRecord {
  readonly sysId: string;
  readonly endpoint: string;
  readonly name: string;
  readonly direct: boolean;
  readonly html: string;
}

export interface UxAsset {
  /** `x_scope/main`: served at `/uxasset/externals/x_scope/main.jsdbx`. */
  readonly name: string;
  readonly mimeType: string;
  readonly content: string;
}

export interface AppPackage {
  readonly scope: string | null;
  readonly pages: readonly UiPageRecord[];
  readonly assets: readonly UxAsset[];
  /** Theme assets found (by name), not served. */
  readonly themeAssets: readonly string[];
  /** Tables of records that were not installed, with their counts. */
  readonly ignored: Readonly<Record<string, number>>;
}

/** A package the mock cannot read, with what is wrong with it. */
export class PackageError extends Error {}

/**
 * The types a UX asset may be served as: what the ServiceNow SDK (4.9.0,
 * `static-content-plugin`) writes into `sys_ux_lib_asset` — JavaScript modules, and source maps
 * (JSON) — plus styles, fonts and raster images. Never HTML or SVG: the mock serves assets on the
 * origin whose pages hold `window.g_ck`, where a document of the package's choosing could read it.
 */
const ASSET_TYPES = new Set([
  'application/javascript',
  'text/javascript',
  'application/json',
  'text/css',
  'font/woff',
  'font/woff2',
  'font/ttf',
  'font/otf',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
]);

/** The `mime_type` of a UX asset as the mock serves it, or a {@link PackageError} naming it. */
function assetType(name: string, declared: string): string {
  const type = (declared || 'application/javascript').split(';')[0].trim().toLowerCase();
  if (!ASSET_TYPES.has(type)) {
    throw new PackageError(
      `UX asset ${name} declares the type ${JSON.stringify(declared.slice(0, 100))}, which the ` +
        `mock instance does not serve (only ${[...ASSET_TYPES].join(', ')})`,
    );
  }
  return type;
}

type Fields = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  trimValues: false,
  cdataPropName: '#cdata',
  // every record under <record_update> is a list, even when there is one
  isArray: (_name, path) => String(path).split('.').length === 2,
});

/** Reads the zip `now-sdk pack` writes. Throws a {@link PackageError} for anything else. */
export function readAppPackage(zip: Uint8Array): AppPackage {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip);
  } catch (error) {
    throw new PackageError(`not a zip archive (${(error as Error).message})`);
  }
  const records: { table: string; fields: Fields }[] = [];
  let scope: string | null = null;
  for (const [path, bytes] of Object.entries(files)) {
    const name = path.replace(/^\/+/, '');
    if (!name.endsWith('.xml') || !/^(update|scope)\//.test(name)) {
      continue;
    }
    let document: Fields;
    try {
      document = parser.parse(strFromU8(bytes)) as Fields;
    } catch (error) {
      throw new PackageError(`${name} is not XML (${(error as Error).message})`);
    }
    const update = document['record_update'] as Record<string, Fields[]> | undefined;
    if (!update || typeof update !== 'object') {
      throw new PackageError(`${name} is not a <record_update> document`);
    }
    for (const [table, list] of Object.entries(update)) {
      if (table.startsWith('@_') || !Array.isArray(list)) {
        continue;
      }
      for (const fields of list) {
        records.push({ table, fields });
        if (table === 'sys_app') {
          scope = text(fields['scope']) || scope;
        }
      }
    }
  }
  if (records.length === 0) {
    throw new PackageError('no update records (update/*.xml) in the archive');
  }

  const attachments = attachmentContents(records);
  const pages: UiPageRecord[] = [];
  const assets: UxAsset[] = [];
  const themeAssets: string[] = [];
  const ignored: Record<string, number> = {};
  for (const { table, fields } of records) {
    const sysId = text(fields['sys_id']);
    switch (table) {
      case 'sys_ui_page':
        pages.push({
          sysId,
          endpoint: text(fields['endpoint']) || `${text(fields['name'])}.do`,
          name: text(fields['name']),
          direct: text(fields['direct']) === 'true',
          html: text(fields['html']),
        });
        break;
      case 'sys_ux_lib_asset': {
        const content =
          text(fields['is_attachment']) === 'true'
            ? attachments.get(sysId)
            : text(fields['content']);
        if (content === undefined) {
          throw new PackageError(`UX asset ${text(fields['name'])} has no content`);
        }
        assets.push({
          name: text(fields['name']),
          mimeType: assetType(text(fields['name']), text(fields['mime_type'])),
          content,
        });
        break;
      }
      case 'sys_ux_theme_asset':
        themeAssets.push(text(fields['name']));
        break;
      case 'sys_attachment':
      case 'sys_attachment_doc':
        break;
      default:
        ignored[table] = (ignored[table] ?? 0) + 1;
    }
  }
  return { scope, pages, assets, themeAssets, ignored };
}

/** The text of a field: its CDATA or its text ('' when empty or absent). */
function text(value: unknown): string {
  if (value === undefined || value === null) {
    return '';
  }
  if (typeof value === 'object') {
    const object = value as Fields;
    return String(object['#cdata'] ?? object['#text'] ?? '');
  }
  return String(value);
}

/**
 * The content of each attachment, by the sys_id of the record it is attached to: its
 * `sys_attachment_doc` chunks, in order, base64-decoded, joined and gunzipped.
 */
function attachmentContents(records: { table: string; fields: Fields }[]): Map<string, string> {
  const owners = new Map<string, string>();
  for (const { table, fields } of records) {
    if (table === 'sys_attachment') {
      owners.set(text(fields['sys_id']), text(fields['table_sys_id']));
    }
  }
  const chunks = new Map<string, { position: number; data: string }[]>();
  for (const { table, fields } of records) {
    if (table === 'sys_attachment_doc') {
      const attachment = text(fields['sys_attachment']);
      const list = chunks.get(attachment) ?? [];
      list.push({ position: Number(text(fields['position']) || 0), data: text(fields['data']) });
      chunks.set(attachment, list);
    }
  }
  const contents = new Map<string, string>();
  for (const [attachment, list] of chunks) {
    const owner = owners.get(attachment);
    if (!owner) {
      continue;
    }
    const bytes = Buffer.from(
      list
        .sort((a, b) => a.position - b.position)
        .map((c) => c.data)
        .join(''),
      'base64',
    );
    try {
      contents.set(owner, strFromU8(gunzipSync(bytes)));
    } catch {
      throw new PackageError(`the attachment of record ${owner} is not gzipped data`);
    }
  }
  return contents;
}
