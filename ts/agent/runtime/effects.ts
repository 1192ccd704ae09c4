// How the reducer loop carries out what core decided: the wire events of a
// step (probe results get their host signature attached) and the Local*
// effects, handed to the activation and probe ports. Must never decide
// anything: every effect is executed as core wrote it.
import type { Logger } from 'pino';
import type { AgentEvent } from '../../contracts/index.ts';
import { parseRfc3339, type Effect } from '../../core/index.ts';
import type { ActivationPort } from '../activation/port.ts';
import type { ProbeEvidence } from '../probes/evidence.ts';
import type { AgentSnapshot } from '../state/store.ts';

/** What the loop needs from the probe worker: the probe port. */
export interface ProbeControl {
  reset(options: { readonly declare: boolean }): Promise<void>;
  stop(): void;
  evidenceFor(probe: string, at: number): ProbeEvidence | undefined;
}

/** The ports effects act on. */
export interface EffectPorts {
  readonly log: Logger;
  readonly activation: ActivationPort;
  readonly probes: ProbeControl;
}

/**
 * The wire events of a step's effects, in order. A ProbeResult carries the
 * signed payload and its signature, so an auditor verifies it from the CP's
 * event log alone (`nixfleet verify probe`).
 */
export function emitsOf(effects: readonly Effect[], probes: ProbeControl): AgentEvent[] {
  const emits: AgentEvent[] = [];
  for (const e of effects) {
    if (e.kind !== 'LocalEmitEvent') continue;
    let ev = e.payload as AgentEvent;
    if (ev.kind === 'ProbeResult') {
      const at = parseRfc3339(ev.observed_at);
      const evidence = at === null ? undefined : probes.evidenceFor(ev.probe_name, at);
      if (evidence !== undefined) {
        ev = { ...ev, signature: evidence.signature, payload: { ...evidence.payload } };
      }
    }
    emits.push(ev);
  }
  return emits;
}

/**
 * Executes one effect against the committed snapshot `snap`. Returns the
 * probe restart when it is one (boot recovery waits for it; the loop does
 * not).
 */
export function applyEffect(e: Effect, snap: AgentSnapshot, ports: EffectPorts): Promise<void> {
  const { log, activation, probes } = ports;
  switch (e.kind) {
    case 'LocalEmitEvent':
      break;
    case 'LocalFireSwitch': {
      const deferred = snap.deferred?.closure === e.target ? snap.deferred.component : null;
      activation.fireSwitch(e.target, deferred);
      break;
    }
    case 'LocalFireRollbackTo':
      activation.fireRollback(e.closure);
      break;
    case 'LocalResumeActivation':
      if (snap.activation !== null) activation.resume(snap.activation);
      else log.error({ effect: e.kind }, 'no persisted switch to resume');
      break;
    case 'LocalResetProbeCache':
      return probes
        .reset({ declare: e.declare })
        .catch((err: unknown) => log.error({ err }, 'probe restart failed'));
    case 'RecordTransition':
      log.info({ rolloutId: e.rollout, from: e.from, to: e.to }, 'host state transition');
      break;
    case 'EmitLog':
      log[e.level]({ target: e.target, ...e.fields }, e.message);
      break;
    case 'EmitMetric':
      log.debug({ metric: e.name, labels: e.labels, value: e.value }, 'metric');
      break;
    default:
      log.error({ effect: e.kind }, 'control-plane effect reached the agent; ignored');
  }
  return Promise.resolve();
}
