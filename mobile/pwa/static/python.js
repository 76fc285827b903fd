// Flet's web client calls these (Dart: backend.connect/send/disconnect) to talk to the app's Python.
// In place of Flet's python.js: the worker is the one levee-boot.js started when the page opened
// (Pyodide boots while Flutter loads); connecting only tells it to start the Flet session.
let _apps = {};

globalThis.jsConnect = async function (appId, args, dartOnMessage) {
  const worker = levee.takeWorker();
  const app = { worker, dartOnMessage };
  _apps[appId] = app;
  let error;
  const initialized = new Promise((resolve) => {
    worker.onmessage = (event) => {
      const data = event.data;
      if (typeof data === "string") {
        if (data !== "initialized") error = data;
        resolve();
      } else if (data && data.leveeTiming) {
        levee.timing(data.leveeTiming);
      } else if (data && data.leveeTap) {
        levee.taps.push(data.leveeTap.map((ms) => Math.round(ms * 10) / 10));
      } else {
        app.dartOnMessage(data);
      }
    };
  });
  worker.postMessage("connect");
  await initialized;
  levee.mark("python connected");
  if (error) {
    console.error("Python worker init error:", error);
    await jsDisconnect(appId);
    throw error;
  }
};

globalThis.jsSend = async function (appId, data) {
  if (appId in _apps) _apps[appId].worker.postMessage(data, [data.buffer]);
};

globalThis.jsDisconnect = async function (appId) {
  if (appId in _apps) {
    const app = _apps[appId];
    delete _apps[appId];
    app.worker.terminate();
    app.worker.onmessage = null;
  }
};
