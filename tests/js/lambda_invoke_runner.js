// A small Lambda Invoke API, as `sam local start-lambda` offers it, in plain Node (no npm
// packages): node lambda_invoke_runner.js NAME=FILE:EXPORT...
// POST /2015-03-31/functions/NAME/invocations runs FILE's EXPORT(event, context) and answers
// its result as JSON; a function that throws is answered 200 with X-Amz-Function-Error:
// Unhandled and {errorType, errorMessage, trace}, as Lambda answers; an unknown NAME is 404
// ResourceNotFoundException. GET /invocations lists what each invocation was sent (path,
// headers, body), for the test to check. The first line printed is the URL listened on.
"use strict";
const http = require("http");
const path = require("path");

const functions = {};
for (const spec of process.argv.slice(2)) {
  const [name, target] = spec.split("=");
  const [file, exported] = target.split(":");
  functions[name] = require(path.resolve(file))[exported || "handler"];
}
const invocations = [];
const MAX_BODY = 6 * 1024 * 1024;
const ROUTE = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

function answer(response, status, body, headers = {}) {
  response.writeHead(status, { "Content-Type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}

async function invoke(name, payload, response) {
  const handler = functions[name];
  if (handler === undefined) {
    const message = `Function not found: arn:aws:lambda:us-east-1:123456789012:function:${name}`;
    return answer(response, 404, { Type: "User", Message: message }, { "x-amzn-ErrorType": "ResourceNotFoundException" });
  }
  let event;
  try {
    event = JSON.parse(payload || "{}");
  } catch (error) {
    const message = `Could not parse request body into json: ${error.message}`;
    return answer(response, 400, { Type: "User", Message: message }, { "x-amzn-ErrorType": "InvalidRequestContentException" });
  }
  const context = {
    functionName: name,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    awsRequestId: `request-${invocations.length}`,
    getRemainingTimeInMillis: () => 5000,
  };
  try {
    answer(response, 200, await handler(event, context));
  } catch (error) {
    const failure = { errorType: error.name, errorMessage: error.message, trace: String(error.stack).split("\n") };
    answer(response, 200, failure, { "X-Amz-Function-Error": "Unhandled" });
  }
}

const server = http.createServer((request, response) => {
  if (request.method === "GET" && request.url === "/invocations") {
    return answer(response, 200, invocations);
  }
  const route = ROUTE.exec(request.url);
  if (request.method !== "POST" || route === null) {
    return answer(response, 404, { Type: "LocalService", Message: "PathNotFoundException" });
  }
  const name = decodeURIComponent(route[1]);
  const chunks = [];
  let size = 0;
  request.on("data", (chunk) => {
    size += chunk.length;
    if (size <= MAX_BODY) chunks.push(chunk);
  });
  request.on("end", () => {
    if (size > MAX_BODY) {
      return answer(response, 413, { Type: "User", Message: "Request must be smaller than 6291456 bytes" });
    }
    const payload = Buffer.concat(chunks).toString("utf8");
    invocations.push({ path: request.url, headers: request.headers, body: payload });
    invoke(name, payload, response);
  });
});

server.listen(0, "127.0.0.1", () => {
  console.log(`http://127.0.0.1:${server.address().port}`);
});
process.on("SIGTERM", () => process.exit(0));
