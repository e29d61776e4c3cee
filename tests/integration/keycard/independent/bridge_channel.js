// keycard-manager's CardChannel interface (async send(APDUCommand) -> APDUResponse) over
// pcsc_bridge.py: one hex command a line out, one hex response a line back. What the
// keycard-manager tests (keycard_manager_client.js, keycard_manager_pairings.js) share.
'use strict';
const { spawn } = require('child_process');
const readline = require('readline');

class BridgeChannel {
  // APDUResponse: the package's response class (the package is found at run time, not here).
  constructor(bridge, readerName, APDUResponse) {
    this.APDUResponse = APDUResponse;
    this.proc = spawn('/usr/bin/python3', [bridge, readerName], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.waiting = [];
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const w = this.waiting.shift();
      if (w) w.resolve(line.trim());
    });
    this.proc.on('exit', (code) => {
      for (const w of this.waiting.splice(0)) w.reject(new Error(`bridge exited (${code})`));
    });
  }
  send(cmd) {
    const hex = Buffer.from(cmd.serialize()).toString('hex');
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.proc.stdin.write(hex + '\n');
    }).then((line) => new this.APDUResponse(new Uint8Array(Buffer.from(line, 'hex'))));
  }
  isConnected() { return true; }
  close() { this.proc.stdin.end(); }
}

function check(cond, what) {
  if (!cond) throw new Error(what);
}

module.exports = { BridgeChannel, check };
