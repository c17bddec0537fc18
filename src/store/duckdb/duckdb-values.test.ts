import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { columnsToRows } from './duckdb-values.ts';

test('every DuckDB column type comes back as plain JSON', async () => {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const reader = await conn.runAndReadAll(`SELECT
      1::TINYINT AS tiny, 2::SMALLINT AS small, 3::INTEGER AS int, 4::BIGINT AS big,
      9007199254740993::BIGINT AS huge_big, 5::HUGEINT AS hugeint, 6::UBIGINT AS ubig,
      1.5::DOUBLE AS dbl, 2.5::FLOAT AS flt, 12.34::DECIMAL(10,2) AS dec,
      'x'::VARCHAR AS str, true AS bool, NULL::VARCHAR AS nul,
      TIMESTAMP '2026-06-01 09:03:00.123' AS ts, TIMESTAMPTZ '2026-06-01 09:03:00+00' AS tstz,
      DATE '2026-06-01' AS d, INTERVAL 90 MINUTE AS iv,
      [1, 2]::BIGINT[] AS list, {'a': 1::BIGINT} AS st, 'abc'::BLOB AS blob,
      '00000000-0000-0000-0000-000000000001'::UUID AS uuid`);
  const rows = columnsToRows(reader.columnNames(), reader.getColumns(), reader.currentRowCount);
  assert.equal(rows.length, 1);
  const row = rows[0]!;
  assert.deepEqual(row, {
    tiny: 1,
    small: 2,
    int: 3,
    big: 4,
    huge_big: '9007199254740993',
    hugeint: 5,
    ubig: 6,
    dbl: 1.5,
    flt: 2.5,
    dec: 12.34,
    str: 'x',
    bool: true,
    nul: null,
    ts: '2026-06-01T09:03:00.123Z',
    tstz: '2026-06-01T09:03:00.000Z',
    d: '2026-06-01',
    iv: 5400,
    list: [1, 2],
    st: { a: 1 },
    blob: Buffer.from('abc').toString('base64'),
    uuid: '00000000-0000-0000-0000-000000000001',
  });
  // JSON.stringify must never meet a bigint.
  assert.doesNotThrow(() => JSON.stringify(row));
  const several = await conn.runAndReadAll(`SELECT * FROM (VALUES (1::BIGINT, 'a'), (2, NULL), (3, 'c')) t(n, s) ORDER BY n`);
  assert.deepEqual(columnsToRows(several.columnNames(), several.getColumns(), several.currentRowCount), [
    { n: 1, s: 'a' },
    { n: 2, s: null },
    { n: 3, s: 'c' },
  ]);
  conn.closeSync();
  instance.closeSync();
});
