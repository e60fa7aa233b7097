import { HttpHeaders } from '@angular/common/http';

/** The KB's query: my active incidents (as caller or as opener), latest update first. */
export const KB_QUERY =
  'active=true^ORDERBYDESCsys_updated_on^caller_id=javascript:gs.getUserID()^ORopened_by=javascript:gs.getUserID()';

/** The KB's `sysparm_fields`. */
export const KB_FIELDS =
  'number,short_description,description,sys_updated_on,closed_at,incident_state,opened_at,caller_id,state,sys_id,resolved_at';

/** An incident as the Table API returns it with `sysparm_display_value=true`. */
export interface Incident {
  readonly sys_id: string;
  readonly number: string;
  readonly short_description: string;
  readonly description: string;
  readonly state: string;
  readonly sys_updated_on: string;
}

export interface IncidentList {
  readonly result: Incident[];
}

/** Where the `Link` header's pages start (rel → `sysparm_offset`). */
export type PageLinks = Partial<Record<'first' | 'prev' | 'next' | 'last', number>>;

/** Reads the Table API's `Link` header: `<url>;rel="next",<url>;rel="last",...`. */
export function pageLinks(headers: HttpHeaders | undefined): PageLinks {
  const links: PageLinks = {};
  for (const part of headers?.get('Link')?.split(',') ?? []) {
    const match = /<([^>]+)>;\s*rel="(first|prev|next|last)"/.exec(part);
    if (match) {
      const offset = Number(new URL(match[1], 'http://x').searchParams.get('sysparm_offset'));
      if (Number.isInteger(offset) && offset >= 0) {
        links[match[2] as keyof PageLinks] = offset;
      }
    }
  }
  return links;
}
