// The shape of a body: what two answers must share to match, whatever their values.
import { mergeShapes, shapeDifferences, shapeOf } from './shape';

const differ = (recorded: unknown, mock: unknown) =>
  shapeDifferences(shapeOf(recorded), shapeOf(mock));

describe('the shape of a body', () => {
  it('ignores values: other sys_ids, dates and texts have the same shape', () => {
    expect(
      differ(
        { result: [{ sys_id: 'a', number: 'INC1', caller_id: { link: 'x', value: 'y' } }] },
        { result: [{ sys_id: 'b', number: 'INC2', caller_id: { link: 'z', value: 'w' } }] },
      ),
    ).toEqual([]);
  });

  it('names a missing key, an extra key and a changed kind by their path', () => {
    expect(
      differ(
        { result: { number: 'INC1', caller_id: { link: 'x', value: 'y' }, u_team: 'a' } },
        { result: { number: 1, caller_id: 'y', extra: true } },
      ),
    ).toEqual([
      'result.caller_id: recorded object, mock string',
      'result.extra: recorded missing, mock boolean',
      'result.number: recorded string, mock number',
      'result.u_team: recorded string, mock missing',
    ]);
  });

  it("takes an array's elements together: the union of their keys and kinds", () => {
    // An empty reference is "" on an instance, a set one an object: both kinds at one path.
    const recorded = { result: [{ assigned_to: '' }, { assigned_to: { value: 'x' }, note: 'n' }] };
    expect(differ(recorded, { result: [{ assigned_to: { value: 'y' } }] })).toEqual([
      'result[].assigned_to: recorded object|string, mock object',
      'result[].note: recorded string, mock missing',
    ]);
    expect(
      differ(recorded, {
        result: [{ assigned_to: { value: 'y' }, note: '' }, { assigned_to: '' }],
      }),
    ).toEqual([]);
  });

  it('says when one side has elements and the other an empty array', () => {
    expect(differ({ result: [{ a: '1' }] }, { result: [] })).toEqual([
      'result[]: recorded object, mock none (empty array)',
    ]);
    expect(differ({ result: [] }, { result: ['x'] })).toEqual([
      'result[]: recorded none (empty array), mock string',
    ]);
    expect(differ({ result: [] }, { result: [] })).toEqual([]);
  });

  it('names the whole body, and odd keys, readably', () => {
    expect(differ([1], { a: 1 })).toEqual(['body: recorded array, mock object']);
    expect(differ({ 'a b': 1, 'x-y': 'z' }, { 'a b': '1', 'x-y': 'z' })).toEqual([
      'body["a b"]: recorded number, mock string',
    ]);
    expect(differ({ a: null }, { a: 'x' })).toEqual(['a: recorded null, mock string']);
  });

  it('merges two shapes into one holding both', () => {
    const merged = mergeShapes(shapeOf({ a: 1, list: [] }), shapeOf({ b: 'x', list: [true] }));
    expect([...merged.keys.keys()].sort()).toEqual(['a', 'b', 'list']);
    expect([...merged.keys.get('list')!.items!.kinds]).toEqual(['boolean']);
  });
});
