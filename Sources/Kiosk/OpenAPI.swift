/// The API's OpenAPI 3.1 document, served at /api/v1/openapi.json. Hand-written:
/// `OpenAPITests` checks that it names exactly the routes `APIRoutes.routes` lists.
enum OpenAPI {
    static let document = #"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "passbox kiosk API",
        "version": "1.0.0",
        "description": "Verify deliveries and admit them into the production zone. Bearer tokens from the station config; roles operator, approver, auditor (read-only), admin."
      },
      "servers": [{"url": "/"}],
      "security": [{"bearer": []}],
      "paths": {
        "/api/v1/openapi.json": {
          "get": {"summary": "This document", "security": [], "operationId": "openapi",
            "responses": {"200": {"description": "The OpenAPI document", "content": {"application/json": {"schema": {"type": "object"}}}}}}
        },
        "/api/v1/status": {
          "get": {"summary": "The queue's load", "operationId": "status",
            "responses": {"200": {"description": "Load", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}},
                          "401": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/verifications": {
          "get": {"summary": "Recent verifications (newest first, at most 100)", "operationId": "listVerifications",
            "responses": {"200": {"description": "List", "content": {"application/json": {"schema": {"type": "object", "required": ["verifications"],
              "properties": {"verifications": {"type": "array", "items": {"$ref": "#/components/schemas/Verification"}}}}}}},
              "401": {"$ref": "#/components/responses/Error"}}},
          "post": {"summary": "Verify a path under an allowed root (media root or drop folder)", "operationId": "verifyPath",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["path"],
              "properties": {"path": {"type": "string", "maxLength": 4096}}}}}},
            "responses": {"202": {"$ref": "#/components/responses/Queued"},
              "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"},
              "429": {"$ref": "#/components/responses/Busy"}}}
        },
        "/api/v1/uploads": {
          "post": {"summary": "Upload one file or archive (streamed to a size-limited spool) and verify it", "operationId": "verifyUpload",
            "parameters": [{"name": "name", "in": "query", "required": false, "schema": {"type": "string", "maxLength": 200}}],
            "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
            "responses": {"202": {"$ref": "#/components/responses/Queued"},
              "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"},
              "429": {"$ref": "#/components/responses/Busy"}}}
        },
        "/api/v1/verifications/{id}": {
          "parameters": [{"$ref": "#/components/parameters/id"}],
          "get": {"summary": "State, progress and verdict", "operationId": "getVerification",
            "responses": {"200": {"description": "The verification", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Verification"}}}},
              "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/verifications/{id}/events": {
          "parameters": [{"$ref": "#/components/parameters/id"}],
          "get": {"summary": "Progress as server-sent events (progress, then done)", "operationId": "verificationEvents",
            "responses": {"200": {"description": "An event stream", "content": {"text/event-stream": {"schema": {"type": "object", "required": ["data"],
              "properties": {"event": {"type": "string", "enum": ["progress", "done"]},
                "data": {"type": "string", "contentMediaType": "application/json", "contentSchema": {"$ref": "#/components/schemas/Progress"}}}}}}},
              "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/verifications/{id}/report": {
          "parameters": [{"$ref": "#/components/parameters/id"},
            {"name": "format", "in": "query", "required": false, "schema": {"type": "string", "enum": ["json", "sarif", "html"], "default": "json"}}],
          "get": {"summary": "The report (passbox JSON, SARIF 2.1.0 or HTML)", "operationId": "getReport",
            "responses": {"200": {"description": "The report", "content": {"application/json": {"schema": {"type": "object"}},
                "application/sarif+json": {"schema": {"type": "object"}}, "text/html": {"schema": {"type": "string"}}}},
              "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/verifications/{id}/admit": {
          "parameters": [{"$ref": "#/components/parameters/id"}],
          "post": {"summary": "Admit an accepted delivery (verified again while copied); with warnings and the approval setting, waits for a second person", "operationId": "admit",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["reason"],
              "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 500}}}}}},
            "responses": {"200": {"description": "Admitted", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Verification"}}}},
              "202": {"description": "Waiting for approval", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Verification"}}}},
              "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
              "409": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/verifications/{id}/approve": {
          "parameters": [{"$ref": "#/components/parameters/id"}],
          "post": {"summary": "Approve a waiting admission (approver or admin; never the one who asked)", "operationId": "approve",
            "responses": {"200": {"description": "Approved and admitted", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Verification"}}}},
              "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/verifications/{id}/receipt": {
          "parameters": [{"$ref": "#/components/parameters/id"}],
          "get": {"summary": "The signed receipt (DSSE envelope of a SLSA verification summary)", "operationId": "getReceipt",
            "responses": {"200": {"description": "The receipt", "content": {"application/json": {"schema": {"type": "object"}}}},
              "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/history": {
          "get": {"summary": "Past decisions from the station's inventory (newest first), filtered, with the audit log's verification state; every role, auditors included", "operationId": "history",
            "parameters": [
              {"name": "verdict", "in": "query", "required": false, "schema": {"type": "string", "enum": ["", "accepted", "rejected"]}},
              {"name": "command", "in": "query", "required": false, "schema": {"type": "string", "enum": ["", "verify", "admit"]}},
              {"name": "vendor", "in": "query", "required": false, "schema": {"type": "string", "maxLength": 200}},
              {"name": "product", "in": "query", "required": false, "schema": {"type": "string", "maxLength": 200}},
              {"name": "operator", "in": "query", "required": false, "description": "A person or token:NAME; also matches either of OPERATOR+APPROVER", "schema": {"type": "string", "maxLength": 200}},
              {"name": "since", "in": "query", "required": false, "description": "A date (2026-12-01) or an RFC 3339 time, inclusive", "schema": {"type": "string", "maxLength": 40}},
              {"name": "until", "in": "query", "required": false, "description": "A date or an RFC 3339 time, exclusive", "schema": {"type": "string", "maxLength": 40}},
              {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 200}}],
            "responses": {"200": {"description": "Past decisions", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/History"}}}},
              "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/history/{uid}": {
          "parameters": [{"name": "uid", "in": "path", "required": true, "schema": {"type": "string", "maxLength": 200}}],
          "get": {"summary": "One recorded decision from the inventory: the delivery, its files, signers, SBOM documents and components, and findings (the fields of passbox inventory show --format json)", "operationId": "pastDecision",
            "responses": {"200": {"description": "The decision", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PastDecisionDetail"}}}},
              "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
        }
      },
      "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "parameters": {"id": {"name": "id", "in": "path", "required": true, "schema": {"type": "string", "maxLength": 64}}},
        "responses": {
          "Queued": {"description": "Queued", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Verification"}}},
            "links": {
              "GetVerification": {"operationId": "getVerification", "parameters": {"id": "$response.body#/id"}},
              "GetReport": {"operationId": "getReport", "parameters": {"id": "$response.body#/id"}},
              "Admit": {"operationId": "admit", "parameters": {"id": "$response.body#/id"}},
              "Approve": {"operationId": "approve", "parameters": {"id": "$response.body#/id"}},
              "GetReceipt": {"operationId": "getReceipt", "parameters": {"id": "$response.body#/id"}}}},
          "Error": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "Busy": {"description": "The queue is full", "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        },
        "schemas": {
          "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["status", "message"],
            "properties": {"status": {"type": "integer"}, "message": {"type": "string"}}}}},
          "Status": {"type": "object", "required": ["running", "waiting", "concurrent", "queue", "version"],
            "properties": {"running": {"type": "integer"}, "waiting": {"type": "integer"}, "concurrent": {"type": "integer"},
              "queue": {"type": "integer"}, "version": {"type": "string"}}},
          "Progress": {"type": "object", "required": ["state", "stage", "items", "bytesRead", "elapsed"],
            "properties": {"id": {"type": "string"}, "state": {"type": "string"}, "stage": {"type": "string"}, "items": {"type": "integer"},
              "bytesRead": {"type": "integer"}, "totalBytes": {"type": "integer"}, "elapsed": {"type": "number"}, "throughput": {"type": "number"},
              "eta": {"type": "number"}, "current": {"type": "string"}, "archive": {"type": "string"}, "verdict": {"type": "string"},
              "error": {"type": "string"}, "stageText": {"type": "string"}, "bytesText": {"type": "string"}, "speedText": {"type": "string"}}},
          "History": {"type": "object", "required": ["inventory", "audit", "deliveries"],
            "properties": {"inventory": {"type": "string", "enum": ["on", "off"]},
              "audit": {"type": "object", "required": ["intact", "records", "problems"], "properties": {"intact": {"type": "boolean"},
                "records": {"type": "integer"}, "problems": {"type": "array", "items": {"type": "string"}}}},
              "deliveries": {"type": "array", "items": {"$ref": "#/components/schemas/PastDecision"}}}},
          "PastDecision": {"type": "object", "required": ["uid", "time", "station", "command", "admitted", "verdict", "operator", "sha256", "input", "files", "components"],
            "properties": {"uid": {"type": "string"}, "time": {"type": "string"}, "station": {"type": "string"},
              "command": {"type": "string"}, "admitted": {"type": "boolean"}, "verdict": {"type": "string"}, "operator": {"type": "string"},
              "sha256": {"type": "string"}, "input": {"type": "string"}, "files": {"type": "integer"}, "components": {"type": "integer"},
              "vendor": {"type": "string"}, "product": {"type": "string"}, "version": {"type": "string"}, "kind": {"type": "string"},
              "admittedFolder": {"type": "string"}, "mediumLabel": {"type": "string"}, "auditSeq": {"type": "integer"},
              "verification": {"type": "string", "description": "The verification's id while the kiosk keeps it: its report at /api/v1/verifications/{id}/report"}},
            "description": "uid gives everything recorded about the decision: /api/v1/history/{uid}"},
          "PastDecisionDetail": {"type": "object", "required": ["delivery", "files", "signers", "sbomDocuments", "components", "findings"],
            "properties": {"delivery": {"type": "object", "required": ["uid", "station", "command", "admitted", "verdict", "time", "operator", "sha256", "files", "components"]},
              "files": {"type": "array", "items": {"type": "object", "required": ["path", "kind", "size", "status"]}},
              "signers": {"type": "array", "items": {"type": "object", "required": ["signer", "status"]}},
              "sbomDocuments": {"type": "array", "items": {"type": "object"}},
              "components": {"type": "array", "items": {"type": "object", "required": ["name", "status"]}},
              "findings": {"type": "array", "items": {"type": "object", "required": ["code", "severity", "message"]}},
              "receiptSha256": {"type": "string"}, "policySha256": {"type": "string"}, "trustStoreSha256": {"type": "string"}}},
          "Verification": {"type": "object", "required": ["id", "state", "source", "startedBy", "progress"],
            "properties": {"id": {"type": "string"}, "state": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
              "source": {"type": "string"}, "startedBy": {"type": "string"}, "progress": {"$ref": "#/components/schemas/Progress"},
              "verdict": {"type": "string", "enum": ["accepted", "rejected"]}, "findings": {"type": "array", "items": {"type": "string"}},
              "error": {"type": "string"},
              "pendingApproval": {"type": "object", "properties": {"requestedBy": {"type": "string"}}},
              "admission": {"type": "object", "required": ["admitted", "by", "files"], "properties": {"admitted": {"type": "boolean"},
                "by": {"type": "string"}, "files": {"type": "integer"}, "folder": {"type": "string"}, "approvedBy": {"type": "string"}}}}}
        }
      }
    }
    """#
}
