// The logic of AWS's cognito-sync-trigger blueprint as a Lambda handler for Node.js, written
// from the event format of the Amazon Cognito Developer Guide, "Amazon Cognito Events"
// (https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-events.html): change
// SampleKey1, remove SampleKey2, add SampleKey3, and return the event.
"use strict";

exports.handler = async (event, context) => {
  if (event.eventType === "SyncTrigger") {
    const records = event.datasetRecords;
    if ("SampleKey1" in records) {
      records.SampleKey1.newValue = "ModifyValue1";
      records.SampleKey1.op = "replace";
    }
    if ("SampleKey2" in records) {
      records.SampleKey2.op = "remove";
    }
    if (!("SampleKey3" in records)) {
      records.SampleKey3 = { newValue: "ModifyValue3", op: "replace" };
    }
    records.invokedBy = { newValue: context.functionName, op: "replace" };
  }
  return event;
};

// Two functions that go wrong, as a real trigger may: one throws, one changes a read-only field.
exports.throws = async () => {
  throw new TypeError("the dataset is locked");
};

exports.tampers = async (event) => ({ ...event, identityId: "us-east-1:00000000-0000-4000-8000-0000000000ff" });
