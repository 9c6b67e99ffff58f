// The AWS SDK for JavaScript v2 (aws-sdk) against the mock server: node sdk_v2.js URL POOL IDENTITY
// Prints one JSON line with what each call answered; the Python test checks it.
"use strict";
const AWS = require("aws-sdk");

async function main() {
  const [url, pool, identity] = process.argv.slice(2);
  const client = new AWS.CognitoSync({
    endpoint: url,
    region: "us-east-1",
    credentials: new AWS.Credentials("AKIDJSV2", "secret"),
    maxRetries: 0,
  });
  const ids = { IdentityPoolId: pool, IdentityId: identity, DatasetName: "game" };
  const first = await client.listRecords(ids).promise();
  const updated = await client.updateRecords({
    ...ids,
    SyncSessionToken: first.SyncSessionToken,
    RecordPatches: [
      { Op: "replace", Key: "level", Value: "3", SyncCount: 0 },
      { Op: "replace", Key: "name", Value: "ada", SyncCount: 0 },
    ],
  }).promise();
  const listed = await client.listRecords({ ...ids, LastSyncCount: 0 }).promise();
  const described = await client.describeDataset(ids).promise();
  let conflict = null;
  try {
    await client.updateRecords({
      ...ids,
      SyncSessionToken: listed.SyncSessionToken,
      RecordPatches: [{ Op: "replace", Key: "level", Value: "4", SyncCount: 0 }],
    }).promise();
  } catch (error) {
    conflict = { name: error.name, code: error.code, status: error.statusCode, message: error.message };
  }
  console.log(JSON.stringify({
    firstExists: first.DatasetExists,
    firstHasToken: typeof first.SyncSessionToken === "string" && first.SyncSessionToken.length > 0,
    updated: updated.Records.map((r) => [r.Key, r.Value, r.SyncCount, r.LastModifiedDate instanceof Date]),
    listed: listed.Records.map((r) => [r.Key, r.Value, r.SyncCount]),
    listedCount: listed.Count,
    datasetSyncCount: listed.DatasetSyncCount,
    dataset: {
      name: described.Dataset.DatasetName,
      numRecords: described.Dataset.NumRecords,
      dataStorage: described.Dataset.DataStorage,
      lastModifiedBy: described.Dataset.LastModifiedBy,
      creationDateIsDate: described.Dataset.CreationDate instanceof Date,
    },
    conflict,
  }));
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
