import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../../src/kube/client.js';

// Messages as the API server sends them (v1.36); a Status without a reason reaches us as the code.
const duplicateEnv = 'failed to create typed patch object (shop/report; batch/v1, Kind=CronJob): .spec.jobTemplate.spec.template.spec.containers[name="report"].env: duplicate entries for key [name="RETRIES"]';

describe('KubeApiError.permanent: the object is at fault, or the server is', () => {
  it.each([
    { status: 422, reason: 'Invalid', message: 'Deployment.apps "web" is invalid: spec.template.spec.containers: Required value', permanent: true },
    { status: 400, reason: 'BadRequest', message: 'error decoding YAML', permanent: true },
    { status: 403, reason: 'Forbidden', message: 'namespaces "x" is forbidden', permanent: true },
    { status: 404, reason: 'NotFound', message: 'namespaces "x" not found', permanent: true },
    { status: 409, reason: 'Conflict', message: 'the object has been modified', permanent: false },
    { status: 429, reason: 'TooManyRequests', message: 'too many requests', permanent: false },
    { status: 500, reason: '500', message: duplicateEnv, permanent: true },
    { status: 500, reason: '500', message: 'failed to create typed live object (shop/report; batch/v1, Kind=CronJob): duplicate entries for key [name="A"]', permanent: true },
    { status: 500, reason: '500', message: 'failed to convert new object (shop/x; v1, Kind=ConfigMap) to smd typed: .data.a: expected string', permanent: true },
    { status: 500, reason: 'Invalid', message: 'admission webhook "policy.example.com" denied the request: image not allowed', permanent: true },
    { status: 500, reason: 'InternalError', message: 'Internal error occurred: failed calling webhook "policy.example.com": connection refused', permanent: false },
    { status: 500, reason: 'InternalError', message: 'Internal error occurred: etcdserver: request timed out', permanent: false },
    { status: 503, reason: 'ServiceUnavailable', message: 'storage is (re)initializing', permanent: false },
    { status: 504, reason: 'Timeout', message: 'Timeout: request did not complete within requested timeout', permanent: false },
  ])('$status $reason: $message → $permanent', ({ status, reason, message, permanent }) => {
    expect(new KubeApiError(status, reason, message).permanent).toBe(permanent);
  });
});
