// Ten pairings plus an ephemeral one on one Keycard 3.2, driven by keycard-manager (the published
// npm client, which knows nothing of 3.2 and always sends PAIR with P2 00). Applet 3.2
// (status-im/status-keycard tag 3.2, SecureChannel.java pairStep1) gives P2 00 the first free of
// its ten slots and, once they are all taken, the ephemeral slot FF instead of 6A84: the eleventh
// client still gets a working channel, and loses it at the next SELECT.
//
// usage: node keycard_manager_pairings.js NODE_MODULES_DIR BRIDGE READER
'use strict';
const path = require('path');
const { BridgeChannel, check } = require('./bridge_channel.js');

const [nodeModules, bridgePath, reader] = process.argv.slice(2);
const pkgDir = path.join(nodeModules, 'keycard-manager', 'dist', 'cjs');
const { KeycardCommandSet } = require(path.join(pkgDir, 'applet', 'keycard-command-set.js'));
const { APDUResponse } = require(path.join(pkgDir, 'io', 'apdu-response.js'));

const PIN = '123456';
const PUK = '012345678901';
const PAIRING_PASSWORD = 'KeycardDefaultPairing';
const SLOTS = 10;

async function select(cmdSet) {
  const resp = await cmdSet.select();
  check(resp.getSw() === 0x9000, `SELECT answered ${resp.getSw().toString(16)}`);
  return cmdSet.getApplicationInfo();
}

// A session on the current pairing: channel, PIN, GET STATUS.
async function session(cmdSet) {
  await cmdSet.autoOpenSecureChannel();
  let resp = await cmdSet.verifyPIN(PIN);
  check(resp.getSw() === 0x9000, `VERIFY PIN answered ${resp.getSw().toString(16)}`);
  resp = await cmdSet.getStatus(0);
  check(resp.getSw() === 0x9000, `GET STATUS answered ${resp.getSw().toString(16)}`);
}

async function main() {
  const channel = new BridgeChannel(bridgePath, reader, APDUResponse);
  try {
    const cmdSet = new KeycardCommandSet(channel);
    let info = await select(cmdSet);
    check(!info.isInitializedCard(), 'a fresh card');
    let resp = await cmdSet.initWithPassword(PIN, PUK, PAIRING_PASSWORD);
    check(resp.getSw() === 0x9000, `INIT answered ${resp.getSw().toString(16)}`);
    info = await select(cmdSet);
    check(info.getAppVersion() === 0x0302, `version ${info.getAppVersionString()}`);

    const persistent = [];
    for (let i = 0; i < SLOTS; i++) {
      info = await select(cmdSet);
      check(info.getFreePairingSlots() === SLOTS - i, `free slots ${info.getFreePairingSlots()} before pairing ${i}`);
      await cmdSet.autoPair(PAIRING_PASSWORD);
      check(cmdSet.getPairing().getPairingIndex() === i, `pairing ${i} got slot ${cmdSet.getPairing().getPairingIndex()}`);
      persistent.push(cmdSet.getPairing());
    }
    console.log(`persistent pairings: ${persistent.length}`);

    // the eleventh client: every slot is taken, so the card pairs it in the ephemeral slot
    info = await select(cmdSet);
    check(info.getFreePairingSlots() === 0, 'no slot left');
    await cmdSet.autoPair(PAIRING_PASSWORD);
    check(cmdSet.getPairing().getPairingIndex() === 0xff, `ephemeral pairing index ${cmdSet.getPairing().getPairingIndex()}`);
    await session(cmdSet);
    console.log('ephemeral pairing: index 255, channel open, PIN verified');
    const ephemeral = cmdSet.getPairing();

    // every persistent pairing still opens a channel; the ephemeral one is gone after SELECT
    for (let i = 0; i < SLOTS; i++) {
      await select(cmdSet);
      cmdSet.setPairing(persistent[i]);
      await session(cmdSet);
    }
    await select(cmdSet);
    cmdSet.setPairing(ephemeral);
    let refused = '';
    try {
      await cmdSet.autoOpenSecureChannel();
    } catch (e) {
      refused = e.message;
    }
    check(refused !== '', 'the ephemeral pairing survived a SELECT');
    console.log(`ephemeral pairing after SELECT: refused (${refused})`);
    info = await select(cmdSet);
    check(info.getFreePairingSlots() === 0, 'the ephemeral pairing took no slot');
    console.log('ten pairings and an ephemeral one: ok');
  } finally {
    channel.close();
  }
}

main().catch((e) => {
  console.error(`keycard-manager pairings: ${e.message}`);
  process.exit(1);
});
