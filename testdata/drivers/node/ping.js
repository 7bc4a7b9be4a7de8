'use strict';
// Connects with the Node.js driver to the connection string in argv[2],
// runs {ping: 1} on admin and prints one JSON line on stdout:
//   {"driver": "node", "version": ..., "ok": true}
//   {"driver": "node", "version": ..., "ok": false, "name": ..., "message": ..., "inspect": ...}
// "inspect" is what console.error(err) prints, stack frames included (the
// suite drops them). Timeouts come from MONGOCONN_SERVER_SELECTION_MS and
// MONGOCONN_CONNECT_MS, as an application sets them in its client options.
const util = require('node:util');
const { MongoClient } = require('mongodb');
const { version } = require('mongodb/package.json');

function ms(name) {
  const v = Number(process.env[name]);
  if (!Number.isInteger(v) || v <= 0) {
    throw new Error(`${name} must be a positive number of milliseconds`);
  }
  return v;
}

async function main() {
  const out = { driver: 'node', version, node: process.version, ok: false };
  let client;
  try {
    client = new MongoClient(process.argv[2], {
      serverSelectionTimeoutMS: ms('MONGOCONN_SERVER_SELECTION_MS'),
      connectTimeoutMS: ms('MONGOCONN_CONNECT_MS'),
    });
    await client.db('admin').command({ ping: 1 });
    out.ok = true;
  } catch (err) {
    out.name = String(err && err.name);
    out.message = String(err && err.message);
    out.inspect = util.inspect(err, { colors: false });
  } finally {
    if (client) {
      await client.close().catch(() => {});
    }
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main();
