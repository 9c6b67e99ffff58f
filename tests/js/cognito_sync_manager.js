// amazon-cognito-js (CognitoSyncManager, in-memory store, over aws-sdk v2) against the mock server:
// node cognito_sync_manager.js URL POOL IDENTITY
//
// Two devices of one identity synchronize the dataset "game". Device B changes "coins"
// while device A's change to it is already on the server, so B's synchronize raises one
// conflict to onConflict, which resolves it with a merged value; then A synchronizes
// again. Prints one JSON line: the conflicts seen and each device's records.
"use strict";
const AWS = require("aws-sdk");
require("amazon-cognito-js");

const [url, pool, identity] = process.argv.slice(2);
const credentials = new AWS.Credentials("AKIDCOGNITOJS", "secret");
credentials.identityId = identity; // what a CognitoIdentityCredentials object would hold
credentials.params = { IdentityPoolId: pool };
AWS.config.update({ region: "us-east-1", credentials, cognitosync: { endpoint: url, maxRetries: 0 } });

const conflicts = [];
const log = [];

function device(name) {
  return new AWS.CognitoSyncManager({
    DataStore: AWS.CognitoSyncManager.StoreInMemory,
    log: (message) => log.push(name + ": " + message),
  });
}

function call(target, method, ...args) {
  return new Promise((resolve, reject) => {
    target[method](...args, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

function synchronize(dataset, name) {
  return new Promise((resolve, reject) => {
    dataset.synchronize({
      onSuccess: () => resolve(),
      onFailure: (error) => reject(new Error(name + ": synchronize failed: " + (error && error.message))),
      onConflict: (ds, found, done) => {
        const resolved = found.map((conflict) => {
          const local = conflict.getLocalRecord().getValue();
          const remote = conflict.getRemoteRecord().getValue();
          conflicts.push({ device: name, key: conflict.getKey(), local, remote });
          return conflict.resolveWithValue(String(Number(local) + Number(remote)));
        });
        ds.resolve(resolved, (error) => (error ? reject(error) : done(true)));
      },
      onDatasetDeleted: (ds, datasetName, done) => done(true),
      onDatasetsMerged: (ds, merges, done) => done(false),
    });
  });
}

async function records(dataset) {
  const all = await call(dataset, "getAllRecords");
  const out = {};
  for (const record of all) {
    out[record.getKey()] = {
      value: record.getValue(),
      syncCount: record.getSyncCount(),
      modified: record.isModified(),
    };
  }
  return out;
}

async function main() {
  const a = await call(device("A"), "openOrCreateDataset", "game");
  const b = await call(device("B"), "openOrCreateDataset", "game");

  await call(a, "put", "level", "1");
  await call(a, "put", "coins", "10");
  await synchronize(a, "A"); // A pushes the first version
  await synchronize(b, "B"); // B pulls it

  await call(a, "put", "coins", "20");
  await synchronize(a, "A"); // the server now has coins=20
  await call(b, "put", "coins", "30"); // B changed coins too, without seeing A's change
  await call(b, "put", "name", "bob");
  await synchronize(b, "B"); // one conflict: coins, resolved as 20 + 30
  await synchronize(a, "A"); // A pulls B's resolution

  const lastSyncCounts = {};
  for (const [name, dataset] of [["A", a], ["B", b]]) {
    lastSyncCounts[name] = await call(dataset.local, "getLastSyncCount", identity, "game");
  }
  console.log(JSON.stringify({
    conflicts,
    a: await records(a),
    b: await records(b),
    aValues: await call(a, "getAll"),
    bValues: await call(b, "getAll"),
    lastSyncCounts,
  }));
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  console.error(log.join("\n"));
  process.exit(1);
});
