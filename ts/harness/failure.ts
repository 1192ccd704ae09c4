// The one error a scenario step raises when its property does not hold (or a
// fault cannot be injected honestly). The runner prints its message as the
// failure, without a stack: the message is the report.

/** A scenario failure whose message is the whole story. */
export class ScenarioFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioFailure';
  }
}
