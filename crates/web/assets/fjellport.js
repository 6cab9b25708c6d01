// Fjellport's little script; every page works without it. It copies what a page shows once
// (buttons with data-copy naming the field) and, on the Clients page, makes a key pair in the
// browser (WebCrypto): the public key goes into the form, the private key is saved as a JWK
// file and never leaves the browser.
'use strict';

document.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-copy]');
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  field.select();
  const done = () => { button.textContent = 'Copied'; };
  if (navigator.clipboard) {
    navigator.clipboard.writeText(field.value).then(done, () => document.execCommand('copy') && done());
  } else if (document.execCommand('copy')) {
    done();
  }
});

const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
  .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

// RFC 7638: the SHA-256 of the required members in lexicographic order.
async function thumbprint(jwk) {
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
    : { e: jwk.e, kty: jwk.kty, n: jwk.n };
  return b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(members))));
}

async function generate(button) {
  const status = document.getElementById('generated');
  if (!window.crypto || !crypto.subtle) {
    status.textContent = 'This browser cannot make keys here (WebCrypto needs https or localhost).';
    return;
  }
  const form = button.form;
  const rsa = form.querySelector('#issuer').value === 'maskinporten';
  const params = rsa
    ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
    : { name: 'ECDSA', namedCurve: 'P-256' };
  const pair = await crypto.subtle.generateKey(params, true, ['sign', 'verify']);
  const pub = await crypto.subtle.exportKey('jwk', pair.publicKey);
  const priv = await crypto.subtle.exportKey('jwk', pair.privateKey);
  const kid = await thumbprint(pub);
  const alg = rsa ? 'RS256' : 'ES256';
  for (const jwk of [pub, priv]) {
    delete jwk.key_ops;
    delete jwk.ext;
    Object.assign(jwk, { kid, alg, use: 'sig' });
  }
  form.querySelector('#jwk').value = JSON.stringify(pub, null, 2);
  const file = button.dataset.keyFile;
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([JSON.stringify(priv, null, 2)], { type: 'application/json' }));
  link.download = file;
  document.body.appendChild(link);
  link.click();
  link.remove();
  status.textContent = `A ${alg} key pair was made in this browser. The private key was saved as ${file} `
    + '(it never leaves this browser); the public key is in the field above.';
}

document.addEventListener('DOMContentLoaded', () => {
  const button = document.getElementById('generate');
  if (!button) return;
  button.closest('.generate').hidden = false;
  button.addEventListener('click', () => generate(button).catch((e) => {
    document.getElementById('generated').textContent = `No key was made: ${e}`;
  }));
});
