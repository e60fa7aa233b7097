import { HttpHeaders } from '@angular/common/http';

import { pageLinks } from './incidents';

describe('pageLinks', () => {
  it('reads the offsets of the Table API Link header', () => {
    const link = (offset: number, rel: string) =>
      `<https://instance.example.com/api/now/table/incident?sysparm_limit=10&sysparm_offset=${offset}>;rel="${rel}"`;
    const headers = new HttpHeaders({
      Link: [link(0, 'first'), link(10, 'prev'), link(30, 'next'), link(320, 'last')].join(','),
    });
    expect(pageLinks(headers)).toEqual({ first: 0, prev: 10, next: 30, last: 320 });
  });

  it('ignores what it cannot read', () => {
    expect(pageLinks(undefined)).toEqual({});
    expect(
      pageLinks(new HttpHeaders({ Link: '<x?sysparm_offset=-3>;rel="next",garbage' })),
    ).toEqual({});
  });
});
