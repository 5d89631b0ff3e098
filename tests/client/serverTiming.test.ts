/** Unit tests of client/src/servertiming.ts: the Server-Timing header the layers view draws. */
import { layerTimings, parseServerTiming } from '../../client/src/servertiming';

describe('parseServerTiming', () => {
  it('reads the API\'s header: db with duration and description, app with duration', () => {
    expect(parseServerTiming('db;dur=1.25;desc="3 database commands", app;dur=4.50')).toEqual([
      { name: 'db', dur: 1.25, desc: '3 database commands' },
      { name: 'app', dur: 4.5 },
    ]);
  });

  it('keeps commas and semicolons inside a quoted description, and unescapes it', () => {
    expect(parseServerTiming('cache;desc="hit, then; \\"warm\\"";dur=0.5')).toEqual([{ name: 'cache', desc: 'hit, then; "warm"', dur: 0.5 }]);
  });

  it('takes the first of repeated parameters, as the spec says, and ignores unknown ones', () => {
    expect(parseServerTiming('db;dur=2;dur=9;x=1;desc=a;desc=b')).toEqual([{ name: 'db', dur: 2, desc: 'a' }]);
  });

  it('accepts a metric without parameters and token-valued descriptions; spaces around parts', () => {
    expect(parseServerTiming(' miss , db ; dur = 3 ; desc = fast ')).toEqual([{ name: 'miss' }, { name: 'db', dur: 3, desc: 'fast' }]);
  });

  it('skips malformed metrics and leaves out durations that are not non-negative numbers', () => {
    expect(parseServerTiming('"quoted";dur=1, , db;dur=abc, app;dur=-1, ok;dur=')).toEqual([{ name: 'db' }, { name: 'app' }, { name: 'ok' }]);
    expect(parseServerTiming('')).toEqual([]);
  });
});

describe('layerTimings', () => {
  it('gives app time, db time and the command count from the response headers, whatever the name\'s case', () => {
    const headers: Array<[string, string]> = [
      ['content-type', 'application/json'],
      ['Server-Timing', 'db;dur=0.87;desc="2 database commands", app;dur=3.10'],
    ];
    expect(layerTimings(headers)).toEqual({
      appMs: 3.1,
      dbMs: 0.87,
      dbCommands: 2,
      metrics: [
        { name: 'db', dur: 0.87, desc: '2 database commands' },
        { name: 'app', dur: 3.1 },
      ],
    });
  });

  it('joins several Server-Timing headers, as HTTP joins repeated fields', () => {
    const timings = layerTimings([
      ['server-timing', 'app;dur=5'],
      ['server-timing', 'db;dur=1;desc="1 database command"'],
    ]);
    expect(timings).toMatchObject({ appMs: 5, dbMs: 1, dbCommands: 1 });
  });

  it('reports zero commands for a request that did not touch the database', () => {
    expect(layerTimings([['server-timing', 'db;dur=0.00;desc="0 database commands", app;dur=0.40']])).toMatchObject({ dbMs: 0, dbCommands: 0, appMs: 0.4 });
  });

  it('leaves out what the header does not say, and is undefined without the header', () => {
    expect(layerTimings([['server-timing', 'app;dur=2']])).toEqual({ appMs: 2, dbMs: undefined, dbCommands: undefined, metrics: [{ name: 'app', dur: 2 }] });
    expect(layerTimings([['server-timing', 'db;desc="some commands"']])).toMatchObject({ dbCommands: undefined });
    expect(layerTimings([['content-type', 'application/json']])).toBeUndefined();
    expect(layerTimings([])).toBeUndefined();
  });
});
