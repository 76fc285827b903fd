// In place of Rive's script on a CDN, which Flet's client loads at every start though the field app
// draws no Rive animation (mobile/pwa/build.py, REPOINT). The client calls RiveNative() once the
// script has loaded and waits for it: this one never answers, as the CDN's never loads offline.
self.RiveNative = () => new Promise(() => {});
