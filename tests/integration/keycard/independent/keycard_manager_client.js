// The independent Keycard client test: keycard-manager (a published TypeScript port of Status's
// Java Keycard SDK, from the npm registry) pairs with cardforge's emulated Keycard, opens the
// secure channel, verifies the PIN, generates a key and signs; the signature is checked with
// elliptic. None of cardforge's code runs on the client side: only the APDU bytes travel through
// pcsc_bridge.py (pyscard) to pcscd and the emulated card.
//
// usage: node keycard_manager_client.js NODE_MODULES_DIR BRIDGE READER
// Prints "key-uid: <hex>", "public-key: <hex>", "hash: <hex>" for the calling script to compare.
'use strict';
const path = require('path');
const crypto = require('crypto');
const { BridgeChannel, check } = require('./bridge_channel.js');

const [nodeModules, bridgePath, reader] = process.argv.slice(2);
// The package exports only its index, which loads a PC/SC binding: reach the command set directly.
const pkgDir = path.join(nodeModules, 'keycard-manager', 'dist', 'cjs');
const { KeycardCommandSet } = require(path.join(pkgDir, 'applet', 'keycard-command-set.js'));
const { RecoverableSignature } = require(path.join(pkgDir, 'applet', 'recoverable-signature.js'));
const { APDUResponse } = require(path.join(pkgDir, 'io', 'apdu-response.js'));
const elliptic = require(path.join(nodeModules, 'elliptic'));

const PIN = '123456';
const PUK = '012345678901';
const PAIRING_PASSWORD = 'KeycardDefaultPairing';

async function main() {
  const channel = new BridgeChannel(bridgePath, reader, APDUResponse);
  try {
    const cmdSet = new KeycardCommandSet(channel);
    let resp = await cmdSet.select();
    check(resp.getSw() === 0x9000, `SELECT answered ${resp.getSw().toString(16)}`);
    if (!cmdSet.getApplicationInfo().isInitializedCard()) {
      resp = await cmdSet.initWithPassword(PIN, PUK, PAIRING_PASSWORD);
      check(resp.getSw() === 0x9000, `INIT answered ${resp.getSw().toString(16)}`);
      resp = await cmdSet.select();
      check(resp.getSw() === 0x9000, 'SELECT after INIT');
    }
    const info = cmdSet.getApplicationInfo();
    check(info.isInitializedCard(), 'card initialized');
    console.log(`version: ${info.getAppVersionString()}`);

    await cmdSet.autoPair(PAIRING_PASSWORD);
    console.log(`pairing-index: ${cmdSet.getPairing().getPairingIndex()}`);
    await cmdSet.autoOpenSecureChannel();

    resp = await cmdSet.verifyPIN('000000');
    check(resp.getSw() === 0x63c2, `wrong PIN should leave 2 tries, got ${resp.getSw().toString(16)}`);
    resp = await cmdSet.verifyPIN(PIN);
    check(resp.getSw() === 0x9000, `VERIFY PIN answered ${resp.getSw().toString(16)}`);

    resp = await cmdSet.generateKey();
    check(resp.getSw() === 0x9000, `GENERATE KEY answered ${resp.getSw().toString(16)}`);
    const keyUID = Buffer.from(resp.getData());
    check(keyUID.length === 32, 'key UID length');

    const hash = crypto.createHash('sha256').update('cardforge independent client').digest();
    resp = await cmdSet.sign(new Uint8Array(hash));
    check(resp.getSw() === 0x9000, `SIGN answered ${resp.getSw().toString(16)}`);
    const sig = new RecoverableSignature(new Uint8Array(hash), resp.getData());
    const pub = Buffer.from(sig.publicKey);
    const ec = new elliptic.ec('secp256k1');
    check(ec.keyFromPublic(pub).verify(hash, { r: Buffer.from(sig.r), s: Buffer.from(sig.s) }), 'signature verifies');
    check(sig.recId >= 0 && sig.recId <= 3, 'recovery id');
    check(crypto.createHash('sha256').update(pub).digest().equals(keyUID), 'key UID is SHA-256 of the public key');

    resp = await cmdSet.exportCurrentKey(true);
    check(resp.getSw() === 0x9000, `EXPORT KEY answered ${resp.getSw().toString(16)}`);
    check(Buffer.from(resp.getData()).includes(pub), 'exported public key is the signing key');

    console.log(`key-uid: ${keyUID.toString('hex').toUpperCase()}`);
    console.log(`public-key: ${pub.toString('hex').toUpperCase()}`);
    console.log(`hash: ${hash.toString('hex').toUpperCase()}`);
    console.log('independent client: ok');
  } finally {
    channel.close();
  }
}

main().catch((e) => {
  console.error(`keycard-manager client: ${e.message}`);
  process.exit(1);
});
