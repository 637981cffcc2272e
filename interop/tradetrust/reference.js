#!/usr/bin/env node
"use strict";
/*
 * The reference side of ecoscout's TradeTrust interop test
 * (cli/tests/tradetrust_reference.rs).
 *
 *   node reference.js OUT_DIR
 *
 * Starts ganache on 127.0.0.1 (a free port, chain id 1337), deploys the real
 * DocumentStore contracts from the compiled artifacts in their npm packages
 * (classic: @govtechsg/document-store; batchable: @trustvc/document-store) and
 * an ERC-1056 registry for did:ethr, wraps certificate-of-origin documents with
 * @govtechsg/open-attestation, issues and revokes some, and verifies each with
 * @govtechsg/oa-verify (integrity and status only: identity needs DNS, which
 * ecoscout replaces with the buyer's trust list). It writes to OUT_DIR:
 *
 *   <case>.json      each document
 *   trust.toml       an ecoscout trust list pinning the stores, the DID signer
 *                    and this ganache node
 *   reference.json   oa-verify's outcome for each case
 *
 * then prints "READY <node url>" on standard output and keeps the chain
 * running until its standard input closes or it is killed. Diagnostics go
 * to standard error.
 */

// oa-verify's bundled did:ethr resolver uses the browser build of ethers'
// geturl, which calls fetch(url, { referrer: "client" }); Node 18+ rejects
// that option. Drop it before oa-verify is loaded (the bundle keeps a
// reference to the fetch it finds).
const nodeFetch = globalThis.fetch;
globalThis.fetch = (url, init) =>
  nodeFetch(url, init && init.referrer === "client" ? { ...init, referrer: undefined } : init);

const fs = require("fs");
const path = require("path");
const ganache = require("ganache");
const { ethers } = require("ethers");
const oa = require("@govtechsg/open-attestation");
const oaVerify = require("@govtechsg/oa-verify");
const {
  DocumentStore__factory: ClassicStore,
} = require("@govtechsg/document-store/dist/contracts/factories/contracts/DocumentStore__factory.js");
const { DocumentStore__factory: BatchableStore } = require("@trustvc/document-store");
const didRegistryArtifact = require("ethr-did-registry/build/contracts/EthereumDIDRegistry.json");

/** The chain id: ganache's default, and one oa-verify accepts. */
const CHAIN_ID = 1337;
// Well-known public development keys (ganache --deterministic accounts 0 and 1).
const ISSUER_KEY = "0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";
const DID_KEY = "0x6cbed15c793ce57650b9877cf6fa156fbef513c4e6134f022a85b1ffdd59b2a1";

const log = (...args) => console.error("[reference]", ...args);

/**
 * A raw certificate of origin with the field names of TradeTrust's CHAFTA
 * template (the ones ecoscout reads: `iD`, `issueDateTime`,
 * `supplyChainConsignment.exporter.name`). Values are made up.
 */
function certificate(number, issuers, extra = {}) {
  return {
    $template: { name: "CHAFTA_COO", type: "EMBEDDED_RENDERER", url: "https://generic-templates.tradetrust.io" },
    iD: `INTEROP-${number}`,
    name: "Certificate of Origin",
    issueDateTime: "2025-11-03T09:00:00Z",
    freeTradeAgreement: "CHAFTA",
    isPreferential: true,
    issuer: { iD: "id:interop-chamber.example", name: "Interop Chamber of Commerce" },
    supplyChainConsignment: {
      iD: `interop:consignment:${number}`,
      information: "12 cartons of dried apricots",
      exportCountry: { code: "AU" },
      importCountry: { code: "CN" },
      exporter: {
        iD: "abr.gov.au:abn:00000000001",
        name: "Interop Orchards Pty Ltd",
        postalAddress: { line1: "7 Orchard Lane", cityName: "Mildura", postcode: "3500", countryCode: "AU" },
      },
      importer: {
        iD: "id:interop-importer.example",
        name: "Interop Foods Co",
        postalAddress: { line1: "Unit 3", line2: "88 Harbour Road", cityName: "Qingdao", postcode: "266000", countryCode: "CN" },
      },
      includedConsignmentItems: [
        {
          iD: `interop:item:${number}-1`,
          crossBorderRegulatoryProcedure: { originCriteriaText: "WO" },
          tradeLineItems: [
            {
              sequenceNumber: 1,
              tradeProduct: {
                description: "Dried apricots, 10 kg cartons",
                harmonisedTariffCode: { classCode: "0813.10" },
                originCountry: { code: "AU" },
              },
            },
          ],
        },
      ],
    },
    issuers,
    ...extra,
  };
}

/** An issuer that records its roots in the document store at `address`. */
function storeIssuer(address) {
  return [
    {
      name: "Interop Chamber of Commerce",
      documentStore: address,
      identityProof: { type: "DNS-TXT", location: "interop-chamber.example" },
    },
  ];
}

/** An issuer that signs with `did` and revokes as `revocation` says. */
function didIssuer(did, revocation) {
  return [
    {
      id: did,
      name: "Interop Chamber of Commerce",
      revocation,
      identityProof: { type: "DNS-DID", location: "interop-chamber.example", key: `${did}#controller` },
    },
  ];
}

/** Mines a transaction and waits for it. */
async function mined(tx) {
  return (await tx).wait();
}

/** Integrity and status verifiers of oa-verify, without the identity ones. */
function referenceVerifier(provider, resolver) {
  return oaVerify.verificationBuilder(
    [
      oaVerify.openAttestationHash,
      oaVerify.openAttestationEthereumTokenRegistryStatus,
      oaVerify.openAttestationEthereumDocumentStoreStatus,
      oaVerify.openAttestationDidSignedDocumentStatus,
    ],
    { provider, resolver },
  );
}

/** What the test compares: validity by type and each fragment's outcome. */
function outcome(fragments) {
  return {
    integrityValid: oaVerify.isValid(fragments, ["DOCUMENT_INTEGRITY"]),
    statusValid: oaVerify.isValid(fragments, ["DOCUMENT_STATUS"]),
    fragments: fragments.map((f) => ({
      name: f.name,
      type: f.type,
      status: f.status,
      ...(f.reason ? { code: f.reason.codeString || String(f.reason.code), message: f.reason.message } : {}),
    })),
  };
}

function trustToml({ url, stores, didSigner }) {
  return [
    "# Written by interop/tradetrust/reference.js: the buyer's trust list for",
    "# the documents beside it, pinning the local ganache node.",
    "[[ethereum]]",
    `chain_id = ${CHAIN_ID}`,
    `rpc_url = "${url}"`,
    "",
    "[[authority]]",
    'id = "interop-chamber"',
    'name = "Interop Chamber of Commerce"',
    'country = "AU"',
    "",
    ...stores.flatMap((address) => ["  [[authority.document_store]]", `  chain_id = ${CHAIN_ID}`, `  address = "${address}"`, ""]),
    "  [[authority.did_signer]]",
    `  id = "${didSigner.id}"`,
    `  address = "${didSigner.address}"`,
    "",
  ].join("\n");
}

async function main() {
  const outDir = process.argv[2];
  if (!outDir) throw new Error("usage: node reference.js OUT_DIR");
  fs.mkdirSync(outDir, { recursive: true });
  const started = Date.now();

  const server = ganache.server({
    chain: { chainId: CHAIN_ID, networkId: CHAIN_ID },
    wallet: {
      accounts: [ISSUER_KEY, DID_KEY].map((secretKey) => ({ secretKey, balance: "0x3635C9ADC5DEA00000" })),
    },
    miner: { instamine: "eager" },
    logging: { quiet: true },
  });
  await server.listen(0, "127.0.0.1");
  const url = `http://127.0.0.1:${server.address().port}/`;
  const stop = async (code) => {
    try {
      await server.close();
    } finally {
      process.exit(code);
    }
  };
  process.on("SIGTERM", () => stop(0));
  process.on("SIGINT", () => stop(0));

  const provider = new ethers.providers.StaticJsonRpcProvider(url, { chainId: CHAIN_ID, name: "interop" });
  const issuer = new ethers.Wallet(ISSUER_KEY, provider);
  const didWallet = new ethers.Wallet(DID_KEY);

  const deploy = async (factory, ...args) => {
    const contract = await new ethers.ContractFactory(factory.abi, factory.bytecode, issuer).deploy(...args);
    await contract.deployed();
    return contract;
  };
  const classic = await deploy(ClassicStore, "Interop classic store", issuer.address);
  const batchable = await deploy(BatchableStore, "Interop batchable store", issuer.address);
  const classic2 = await deploy(ClassicStore, "Interop second classic store", issuer.address);
  const registry = await deploy(didRegistryArtifact);
  log(`ganache on ${url}; classic store ${classic.address}, batchable ${batchable.address}, DID registry ${registry.address}`);

  // Documents. A batch of three gives proofs with intermediate hashes.
  const [valid, revoked] = oa.wrapDocuments([
    certificate("0001", storeIssuer(classic.address)),
    certificate("0002", storeIssuer(classic.address)),
    certificate("0003", storeIssuer(classic.address)),
  ]);
  // A batch whose root (not the document's own hash) is revoked.
  const [revokedRoot] = oa.wrapDocuments([
    certificate("0010", storeIssuer(classic.address)),
    certificate("0011", storeIssuer(classic.address)),
  ]);
  const tampered = JSON.parse(JSON.stringify(valid));
  const exporter = tampered.data.supplyChainConsignment.exporter;
  exporter.name = exporter.name.replace(/:string:.*$/, ":string:Someone Else Pty Ltd");
  // Hiding one field of an object that keeps others: still valid.
  const obfuscated = oa.obfuscateDocument(valid, ["supplyChainConsignment.importer.postalAddress.line2"]);
  // Hiding the only field of an object leaves `{}`, a new leaf: tampered.
  const obfuscatedEmptied = oa.obfuscateDocument(valid, ["supplyChainConsignment.exportCountry.code"]);
  const emptyContainers = oa.wrapDocument(
    certificate("0004", storeIssuer(classic.address), { attachments: [], remarks: {} }),
  );
  const notIssued = oa.wrapDocument(certificate("0005", storeIssuer(classic.address)));
  // A batch of four: revoking the node above a document's own hash
  // revokes it and its sibling, not the other half.
  const four = oa.wrapDocuments(["0020", "0021", "0022", "0023"].map((n) => certificate(n, storeIssuer(classic.address))));
  // The library orders the leaves by hash, so the sibling is found by the proof.
  const [revokedIntermediate] = four;
  const sibling = revokedIntermediate.signature.proof[0];
  const otherHalf = four.find((d) => d !== revokedIntermediate && d.signature.targetHash !== sibling);
  // Hiding an array element leaves a hole that JSON writes as null.
  const withTags = oa.wrapDocument(certificate("0030", storeIssuer(classic.address), { tags: ["fruit", "dried"] }));
  const obfuscatedArrayItem = oa.obfuscateDocument(withTags, ["tags.0"]);
  // Two issuers; the second one's store has not issued the root.
  const twoStores = oa.wrapDocument(
    certificate("0040", [...storeIssuer(classic.address), ...storeIssuer(classic2.address)]),
  );
  const did = `did:ethr:${didWallet.address}`;
  const didSigned = await oa.signDocument(
    oa.wrapDocument(certificate("0006", didIssuer(did, { type: "NONE" }))),
    oa.SUPPORTED_SIGNING_ALGORITHM.Secp256k1VerificationKey2018,
    didWallet,
  );
  // Names the DID, but the root is signed by another key.
  const wrongKey = await oa.signDocument(
    oa.wrapDocument(certificate("0050", didIssuer(did, { type: "NONE" }))),
    oa.SUPPORTED_SIGNING_ALGORITHM.Secp256k1VerificationKey2018,
    new ethers.Wallet(ISSUER_KEY),
  );
  wrongKey.proof[0].verificationMethod = `${did}#controller`;
  // DID-signed, revocable in the classic store, and revoked there.
  const didRevoked = await oa.signDocument(
    oa.wrapDocument(certificate("0051", didIssuer(did, { type: "REVOCATION_STORE", location: classic.address }))),
    oa.SUPPORTED_SIGNING_ALGORITHM.Secp256k1VerificationKey2018,
    didWallet,
  );
  const [batched, batchRevoked] = oa.wrapDocuments([
    certificate("0007", storeIssuer(batchable.address)),
    certificate("0008", storeIssuer(batchable.address)),
    certificate("0009", storeIssuer(batchable.address)),
  ]);

  const hex = (h) => `0x${h}`;
  const root = (doc) => hex(doc.signature.merkleRoot);
  for (const doc of [valid, revokedRoot, emptyContainers, revokedIntermediate, withTags, twoStores]) {
    await mined(classic.issue(root(doc)));
  }
  await mined(batchable.issue(root(batched)));
  await mined(classic["revoke(bytes32)"](hex(revoked.signature.targetHash)));
  await mined(classic["revoke(bytes32)"](root(revokedRoot)));
  await mined(classic["revoke(bytes32)"](hex(didRevoked.signature.targetHash)));
  const { targetHash, proof } = revokedIntermediate.signature;
  const pair = [targetHash, proof[0]].sort().join("");
  await mined(classic["revoke(bytes32)"](ethers.utils.keccak256(`0x${pair}`)));
  // The batchable store checks the proof itself: (root, document, proof).
  const batchArgs = (doc) => [root(doc), hex(doc.signature.targetHash), doc.signature.proof.map(hex)];
  await mined(batchable["revoke(bytes32,bytes32,bytes32[])"](...batchArgs(batchRevoked)));

  const cases = {
    valid,
    revoked,
    "revoked-root": revokedRoot,
    tampered,
    obfuscated,
    "obfuscated-emptied": obfuscatedEmptied,
    "empty-containers": emptyContainers,
    "not-issued": notIssued,
    "did-signed": didSigned,
    "revoked-intermediate": revokedIntermediate,
    "other-half": otherHalf,
    "obfuscated-array-item": obfuscatedArrayItem,
    "two-stores-one-not-issued": twoStores,
    "did-signed-wrong-key": wrongKey,
    "did-signed-revoked": didRevoked,
    "batchable-store": batched,
    "batchable-revoked": batchRevoked,
  };

  const resolver = oaVerify.createResolver({
    ethrResolverConfig: { networks: [{ name: "mainnet", chainId: CHAIN_ID, rpcUrl: url, registry: registry.address }] },
  });
  const verify = referenceVerifier(provider, resolver);
  const results = {};
  for (const [name, doc] of Object.entries(cases)) {
    const file = `${name}.json`;
    const text = JSON.stringify(doc, null, 2) + "\n";
    fs.writeFileSync(path.join(outDir, file), text);
    // Verify the document as written, as anyone receiving it would.
    results[name] = { file, ...outcome(await verify(JSON.parse(text))) };
    log(`${name}: integrity ${results[name].integrityValid}, status ${results[name].statusValid}`);
  }

  // What the batchable store answers when asked as the contract expects
  // (0x-prefixed arguments), for the cases where oa-verify does not ask so.
  const batchableStore = {};
  for (const [name, doc] of [["batchable-store", batched], ["batchable-revoked", batchRevoked]]) {
    batchableStore[name] = {
      issued: await batchable["isIssued(bytes32,bytes32,bytes32[])"](...batchArgs(doc)),
      revoked: await batchable["isRevoked(bytes32,bytes32,bytes32[])"](...batchArgs(doc)),
    };
  }

  const reference = {
    chainId: CHAIN_ID,
    rpcUrl: url,
    versions: Object.fromEntries(
      ["ganache", "@govtechsg/open-attestation", "@govtechsg/oa-verify", "@govtechsg/document-store", "@trustvc/document-store"].map(
        (p) => [p, JSON.parse(fs.readFileSync(path.join(__dirname, "node_modules", p, "package.json"), "utf8")).version],
      ),
    ),
    batchableStore,
    cases: results,
  };
  fs.writeFileSync(path.join(outDir, "reference.json"), JSON.stringify(reference, null, 2) + "\n");
  fs.writeFileSync(
    path.join(outDir, "trust.toml"),
    trustToml({
      url,
      stores: [classic.address, batchable.address, classic2.address],
      didSigner: { id: `${did}#controller`, address: didWallet.address },
    }),
  );
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.stdout.write(`READY ${url}\n`);

  // Keep the chain up for ecoscout until the test closes our stdin.
  process.stdin.on("end", () => stop(0));
  process.stdin.on("error", () => stop(0));
  process.stdin.resume();
}

main().catch((e) => {
  console.error("[reference] failed:", e);
  process.exit(1);
});
