// The jest environment of every project: Node's, plus one guard. A spec that failed to start (a
// beforeAll that threw half way) may leave servers running (etcd, NATS, components); their pipes
// and the clients connected to them would keep jest from exiting. At the end of each spec file
// this stops every process @skiff/testing started that still runs, and says which.
const { TestEnvironment } = require('jest-environment-node');

class SkiffTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
  }

  async teardown() {
    const started = this.global.__skiffTestProcesses;
    const leaked = started ? [...started].filter((p) => p.running) : [];
    if (leaked.length > 0) {
      process.stderr.write(`${this.testPath}: stopping ${leaked.length} process(es) the spec left running: ${leaked.map((p) => p.name).join(', ')}\n`);
      await Promise.all(leaked.map((p) => p.stop(2_000).catch(() => undefined)));
    }
    await super.teardown();
  }
}

module.exports = SkiffTestEnvironment;
