// The AWS SDK for JavaScript v3 as an app uses it: credentials from fromCognitoIdentityPool
// (GetId, GetCredentialsForIdentity) signing Cognito Sync calls, all against one URL:
// node sdk_v3_identity_pool.js URL POOL
// Two users each get an identity of the pool; user A writes a dataset, then reads it back,
// and user B's credentials try to read A's dataset. Prints one JSON line; the Python test checks it.
"use strict";
const { CognitoIdentityClient } = require("@aws-sdk/client-cognito-identity");
const { fromCognitoIdentityPool } = require("@aws-sdk/credential-providers");
const { CognitoSyncClient, ListRecordsCommand, UpdateRecordsCommand } = require("@aws-sdk/client-cognito-sync");

const [url, pool] = process.argv.slice(2);
const region = "us-east-1";

// One user's app: its credentials provider, and a Cognito Sync client signing with it.
// (userIdentifier: the provider caches the identity ID per user, and both users share this process.)
async function user(name) {
  const credentials = fromCognitoIdentityPool({
    client: new CognitoIdentityClient({ region, endpoint: url }),
    identityPoolId: pool,
    userIdentifier: name,
  });
  const { identityId } = await credentials();
  const sync = new CognitoSyncClient({ region, endpoint: url, credentials, maxAttempts: 1 });
  return { identityId, sync };
}

async function main() {
  const a = await user("user-a");
  const b = await user("user-b");
  const ids = { IdentityPoolId: pool, IdentityId: a.identityId, DatasetName: "game" };
  const first = await a.sync.send(new ListRecordsCommand(ids));
  const updated = await a.sync.send(new UpdateRecordsCommand({
    ...ids,
    SyncSessionToken: first.SyncSessionToken,
    RecordPatches: [
      { Op: "replace", Key: "level", Value: "3", SyncCount: 0 },
      { Op: "replace", Key: "name", Value: "ada", SyncCount: 0 },
    ],
  }));
  const listed = await a.sync.send(new ListRecordsCommand({ ...ids, LastSyncCount: 0 }));
  let other;
  try {
    const read = await b.sync.send(new ListRecordsCommand(ids));
    other = { read: read.Records.map((r) => [r.Key, r.Value]) };
  } catch (error) {
    other = { name: error.name, status: error.$metadata.httpStatusCode, message: error.message };
  }
  console.log(JSON.stringify({
    identityA: a.identityId,
    identityB: b.identityId,
    updated: updated.Records.map((r) => [r.Key, r.Value, r.SyncCount]),
    listed: listed.Records.map((r) => [r.Key, r.Value, r.SyncCount]),
    datasetSyncCount: listed.DatasetSyncCount,
    other,
  }));
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
