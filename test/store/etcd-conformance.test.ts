// The store conformance suite on a real one-member etcd started for it: two store instances
// (two clients) on one key prefix, a fresh prefix for every store the suite opens.
import { randomBytes } from "node:crypto";
import { after } from "node:test";
import { openEtcdStore, type EtcdStore } from "../../src/store/etcd.js";
import { startEtcd, type EtcdCluster } from "../helpers/etcd.js";
import { storeConformance } from "./conformance.js";

let cluster: Promise<EtcdCluster> | undefined;
const etcd = () => (cluster ??= startEtcd(1));
after(async () => (await cluster)?.stop());
const secretKey = randomBytes(32);
let n = 0;

storeConformance("etcd", {
  open: async () => openEtcdStore({ endpoints: (await etcd()).endpoints.split(","), prefix: `/hecate-test/s${++n}/`, secretKey }),
  second: async (s) => openEtcdStore({ endpoints: (await etcd()).endpoints.split(","), prefix: (s as EtcdStore).prefix, secretKey }),
  // etcd leases count whole seconds, and expired leases are collected about every half second.
  shortTtlMs: 1000,
  lapseMs: 2500,
  secretKey,
});
