// The field app's durable storage in the browser (IndexedDB), for the Python in this worker
// (mobile/pwa/device.py). One object store of keys: "replica" (the SQLite replica file, saved whole
// now and then), "tap:<seq>" (each outbox entry, written the moment it is made) and "photo:<name>".
// Every write commits with durability "strict": the browser flushes it before it says done.
const DB_NAME = "levee-device";
const STORE = "kv";
let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opening;
}

function committed(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve(true);
    tx.onabort = tx.onerror = () => reject(tx.error || new Error("IndexedDB transaction aborted"));
  });
}

function answer(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function writing(fn) {
  const db = await open();
  const tx = db.transaction(STORE, "readwrite", { durability: "strict" });
  fn(tx.objectStore(STORE));
  return committed(tx);
}

function prefixRange(prefix, upto) {
  return IDBKeyRange.bound(prefix, upto === undefined ? prefix + "\uffff" : upto);
}

self.leveeStore = {
  async get(key) {
    const db = await open();
    const value = await answer(db.transaction(STORE, "readonly").objectStore(STORE).get(key));
    return value === undefined ? undefined : value;
  },
  // [[key, value], ...] in one transaction.
  putMany(entries) {
    return writing((store) => {
      for (const [key, value] of entries) store.put(value, key);
    });
  },
  // The replica file, and the taps it holds (keys up to uptoKey) out of the log, in one transaction.
  saveReplica(bytes, uptoKey) {
    return writing((store) => {
      store.put(bytes, "replica");
      store.delete(prefixRange("tap:", uptoKey));
    });
  },
  // [[key, value], ...] of every key starting with prefix, in key order.
  async entries(prefix) {
    const db = await open();
    const store = db.transaction(STORE, "readonly").objectStore(STORE);
    const range = prefixRange(prefix);
    const [keys, values] = await Promise.all([answer(store.getAllKeys(range)), answer(store.getAll(range))]);
    return keys.map((key, i) => [key, values[i]]);
  },
  // One tab owns the device: wait up to timeoutMs for another (closing) tab to let go.
  holdDevice(timeoutMs) {
    return new Promise((resolve) => {
      if (!navigator.locks) {
        resolve(true);
        return;
      }
      navigator.locks
        .request("levee-device", { signal: AbortSignal.timeout(timeoutMs) }, () => {
          resolve(true);
          return new Promise(() => {}); // held while this worker lives
        })
        .catch(() => resolve(false));
    });
  },
  onNetwork: null,
};

function network(online) {
  if (self.leveeStore.onNetwork) self.leveeStore.onNetwork(online);
}
self.addEventListener("online", () => network(true));
self.addEventListener("offline", () => network(false));
new BroadcastChannel("levee-network").onmessage = (event) => network(Boolean(event.data && event.data.online));
