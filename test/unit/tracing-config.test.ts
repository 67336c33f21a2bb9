import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { startTracing } from '../../src/cli/tracing.js';
import { createLogger } from '../../src/log.js';
import { queueTelemetry } from '../../src/tracing.js';

const log = createLogger({ level: 'silent' });

// the enabled path registers a process-wide provider; test/e2e/tracing.test.ts runs it in child processes
describe('startTracing, off unless configured', () => {
  it('starts nothing without an OTLP endpoint: no provider, no queue telemetry', async () => {
    expect(await startTracing('driftless-web', log, {})).toBeUndefined();
    expect(queueTelemetry()).toEqual({});
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
  });

  it('starts nothing when OTEL_SDK_DISABLED=true, even with an endpoint', async () => {
    expect(await startTracing('driftless-web', log, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(queueTelemetry()).toEqual({});
  });
});
