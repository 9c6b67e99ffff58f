// The AWS SDK for JavaScript v3 against the mock server: node sdk_v3.js URL POOL IDENTITY
// Prints one JSON line with what each call answered; the Python test checks it.
"use strict";
const {
  CognitoSyncClient,
  ListRecordsCommand,
  UpdateRecordsCommand,
  DescribeDatasetCommand,
  ResourceConflictException,
} = require("@aws-sdk/client-cognito-sync");

async function main() {
  const [url, pool, identity] = process.argv.slice(2);
  const client = new CognitoSyncClient({
    endpoint: url,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDJSV3", secretAccessKey: "secret" },
    maxAttempts: 1,
  });
  const ids = { IdentityPoolId: pool, IdentityId: identity, DatasetName: "game" };
  const first = await client.send(new ListRecordsCommand(ids));
  const updated = await client.send(new UpdateRecordsCommand({
    ...ids,
    SyncSessionToken: first.SyncSessionToken,
    RecordPatches: [
      { Op: "replace", Key: "level", Value: "3", SyncCount: 0 },
      { Op: "replace", Key: "name", Value: "ada", SyncCount: 0 },
    ],
  }));
  const listed = await client.send(new ListRecordsCommand({ ...ids, LastSyncCount: 0 }));
  const described = await client.send(new DescribeDatasetCommand(ids));
  let conflict = null;
  try {
    await client.send(new UpdateRecordsCommand({
      ...ids,
      SyncSessionToken: listed.SyncSessionToken,
      RecordPatches: [{ Op: "replace", Key: "level", Value: "4", SyncCount: 0 }],
    }));
  } catch (error) {
    conflict = {
      name: error.name,
      isResourceConflict: error instanceof ResourceConflictException,
      status: error.$metadata.httpStatusCode,
      message: error.message,
    };
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
