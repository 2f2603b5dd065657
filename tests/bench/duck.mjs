// duck.mjs - run SQL statements on a DuckDB database file through the
// @duckdb/node-api package, for the benchmark's peer steps when no
// duckdb command is installed: node duck.mjs DB SQL [SQL ...].
// Prints the rows of the last statement, tab-separated.  When DUCK_TIME
// names a file, writes there the seconds DuckDB took (open, run, close),
// so node's own start-up is not charged to DuckDB.
import { DuckDBInstance } from '@duckdb/node-api';
import { writeFileSync } from 'node:fs';

const [db, ...stmts] = process.argv.slice(2);
const t0 = process.hrtime.bigint();
const inst = await DuckDBInstance.create(db);
const con = await inst.connect();
let last = null;
for (const s of stmts)
	last = await con.runAndReadAll(s);
con.closeSync();
inst.closeSync?.();
const t1 = process.hrtime.bigint();
if (process.env.DUCK_TIME)
	writeFileSync(process.env.DUCK_TIME, (Number(t1 - t0) / 1e9).toFixed(4) + '\n');
if (last)
	for (const row of last.getRows())
		console.log(row.map(String).join('\t'));
