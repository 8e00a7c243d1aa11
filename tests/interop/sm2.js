#!/usr/bin/env node
// Runs the independent sm-crypto implementation for the interop tests (src/crypto/*_test.cpp).
// Every argument and result is hex. Usage:
//   node sm2.js keygen                                   -> "<private hex> <public 04.. hex>"
//   node sm2.js sign <priv> <msg> <raw|der> [userId]     -> signature hex
//   node sm2.js verify <pub> <msg> <sig> <raw|der> [userId] -> "true" | "false"
//   node sm2.js encrypt <pub> <msg> <1|0>                -> ciphertext hex (1 = C1C3C2, 0 = C1C2C3; no 04 prefix)
//   node sm2.js decrypt <priv> <cipher> <1|0>            -> plaintext hex ("" when it fails)
//   node sm2.js sm3 <msg>                                -> digest hex
//   node sm2.js sm4 <encrypt|decrypt> <key> <iv> <data>  -> SM4-CBC (PKCS#7) hex
'use strict'
const { sm2, sm3, sm4 } = require('sm-crypto')

const hexToArray = (h) => { const a = []; for (let i = 0; i < h.length; i += 2) a.push(parseInt(h.substr(i, 2), 16)); return a }
const arrayToHex = (a) => Array.from(a).map((b) => (b & 0xff).toString(16).padStart(2, '0')).join('')

const [cmd, ...args] = process.argv.slice(2)
function out(s) { process.stdout.write(s + '\n') }

switch (cmd) {
  case 'keygen': {
    const kp = sm2.generateKeyPairHex()
    out(kp.privateKey + ' ' + kp.publicKey)
    break
  }
  case 'sign': {
    const [priv, msg, form, userId] = args
    const opts = { hash: true, der: form === 'der' }
    if (userId !== undefined) opts.userId = userId
    out(sm2.doSignature(hexToArray(msg), priv, opts))
    break
  }
  case 'verify': {
    const [pub, msg, sig, form, userId] = args
    const opts = { hash: true, der: form === 'der' }
    if (userId !== undefined) opts.userId = userId
    out(String(sm2.doVerifySignature(hexToArray(msg), sig, pub, opts)))
    break
  }
  case 'encrypt': {
    const [pub, msg, mode] = args
    out(sm2.doEncrypt(hexToArray(msg), pub, Number(mode)))
    break
  }
  case 'decrypt': {
    const [priv, ct, mode] = args
    out(arrayToHex(sm2.doDecrypt(ct, priv, Number(mode), { output: 'array' })))
    break
  }
  case 'sm3':
    out(sm3(hexToArray(args[0])))
    break
  case 'sm4': {
    const [op, key, iv, data] = args
    const f = op === 'encrypt' ? sm4.encrypt : sm4.decrypt
    out(arrayToHex(f(hexToArray(data), key, { mode: 'cbc', iv, output: 'array' })))
    break
  }
  default:
    process.stderr.write('unknown command ' + cmd + '\n')
    process.exit(2)
}
