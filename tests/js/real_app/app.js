// A web app using Cognito Sync as the AWS docs show it, and amazon-cognito-js's README:
// AWS.CognitoIdentityCredentials for an identity pool, then CognitoSyncManager, a dataset,
// put and synchronize with the docs' callbacks. The one change for cognito-sync-mock is
// the AWS.config.endpoint line. device.html loads it; harness.html drives it through
// postMessage (each command answers {id, error, result}).
"use strict";

var query = new URLSearchParams(location.search);
AWS.config.region = "us-east-1";
AWS.config.endpoint = query.get("endpoint"); // the one line that points the app at the mock
var conflicts = []; // what onConflict saw, for the test to check
var dataset;

// Get credentials for the identity pool (a new identity, or identityId given to a second
// device), then open the dataset.
function signIn(identityId, done) {
  var params = { IdentityPoolId: query.get("pool") };
  if (identityId) {
    params.IdentityId = identityId;
  }
  AWS.config.credentials = new AWS.CognitoIdentityCredentials(params);
  AWS.config.credentials.get(function (err) {
    if (err) {
      return done(err);
    }
    var syncManager = new AWS.CognitoSyncManager();
    syncManager.openOrCreateDataset("game", function (err, opened) {
      dataset = opened;
      done(err, AWS.config.credentials.identityId);
    });
  });
}

function put(key, value, done) {
  dataset.put(key, value, function (err) {
    done(err);
  });
}

function synchronize(done) {
  dataset.synchronize({
    onSuccess: function (dataset, newRecords) {
      done(null);
    },
    onFailure: function (err) {
      done(err);
    },
    onConflict: function (dataset, found, callback) {
      var resolved = [];
      for (var i = 0; i < found.length; i++) {
        conflicts.push({
          key: found[i].getKey(),
          remote: found[i].getRemoteRecord().getValue(),
          local: found[i].getLocalRecord().getValue(),
        });
        // The docs' custom logic: the remote value, then the local one.
        var newValue = found[i].getRemoteRecord().getValue() + found[i].getLocalRecord().getValue();
        resolved.push(found[i].resolveWithValue(newValue));
      }
      dataset.resolve(resolved, function () {
        return callback(true);
      });
    },
    onDatasetDeleted: function (dataset, datasetName, callback) {
      return callback(true);
    },
    onDatasetsMerged: function (dataset, datasetNames, callback) {
      return callback(false);
    },
  });
}

// What this device holds: each record's value, sync count and whether it is modified locally.
function records(done) {
  dataset.getAllRecords(function (err, all) {
    var out = {};
    (all || []).forEach(function (record) {
      out[record.getKey()] = [record.getValue(), record.getSyncCount(), record.isModified()];
    });
    done(err, out);
  });
}

function seen(done) {
  done(null, conflicts);
}

var commands = { signIn: signIn, put: put, synchronize: synchronize, records: records, seen: seen };

window.addEventListener("message", function (event) {
  var id = event.data.id;
  var args = event.data.args.concat([function (err, result) {
    var error = err ? String(err.code || err.name) + ": " + String(err.message || err) : null;
    event.source.postMessage({ id: id, error: error, result: result === undefined ? null : result }, "*");
  }]);
  try {
    commands[event.data.command].apply(null, args);
  } catch (err) {
    event.source.postMessage({ id: id, error: "thrown: " + String(err && err.stack), result: null }, "*");
  }
});
