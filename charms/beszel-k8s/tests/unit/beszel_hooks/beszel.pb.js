/// Emulation of the Beszel Hub parts the charm uses, on a real PocketBase (JS hooks).
///
/// Facts followed (Beszel 0.18, internal/hub and internal/users):
/// - the `users` collection has a `role` select field: user, admin, readonly;
/// - GET /api/beszel/info needs any auth record and answers {key, v, cu};
/// - GET /api/beszel/universal-token needs an auth record: superusers get 403
///   "Superusers cannot use universal tokens", readonly users 403; `enable=1` with
///   `permanent=1` stores the token for that user and answers {token, active, permanent}.
/// Tokens live in the app store (Beszel keeps permanent ones in its database); the
/// agent WebSocket that would consume them is not part of what the charm calls.

onBootstrap((e) => {
  e.next();
  const users = e.app.findCollectionByNameOrId("users");
  if (!users.fields.getByName("role")) {
    users.fields.add(
      new SelectField({ name: "role", values: ["user", "admin", "readonly"], maxSelect: 1 }),
    );
    e.app.save(users);
  }
});

// Handlers run in isolated VMs: no shared top-level constants.
routerAdd(
  "GET",
  "/api/beszel/info",
  (e) =>
    e.json(200, {
      key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEmulatedBeszelHubKeyForTests beszel",
      v: "0.18.8",
      cu: false,
    }),
  $apis.requireAuth(),
);

routerAdd(
  "GET",
  "/api/beszel/universal-token",
  (e) => {
    if (e.auth.isSuperuser()) {
      return e.json(403, { status: 403, message: "Superusers cannot use universal tokens", data: {} });
    }
    if (e.auth.getString("role") === "readonly") {
      return e.json(403, {
        status: 403,
        message: "The authorized record is not allowed to perform this action.",
        data: {},
      });
    }
    const query = e.request.url.query();
    const key = "universal-token:" + e.auth.id;
    let token = query.get("token") || $security.randomString(32);
    if (query.get("enable") === "0") {
      $app.store().remove(key);
      return e.json(200, { token: token, active: false, permanent: false });
    }
    if (query.get("enable") === "1") {
      const permanent = query.get("permanent") === "1";
      $app.store().set(key, JSON.stringify({ token: token, permanent: permanent }));
      return e.json(200, { token: token, active: true, permanent: permanent });
    }
    const stored = $app.store().get(key);
    if (stored) {
      const entry = JSON.parse(stored);
      return e.json(200, { token: entry.token, active: true, permanent: entry.permanent });
    }
    return e.json(200, { token: token, active: false, permanent: false });
  },
  $apis.requireAuth(),
);

routerAdd(
  "GET",
  "/api/test/universal-token/{user}",
  (e) => {
    const stored = $app.store().get("universal-token:" + e.request.pathValue("user"));
    return e.json(200, stored ? JSON.parse(stored) : {});
  },
  $apis.requireSuperuserAuth(),
);

// Test-only: the stored OAuth2 providers with their secrets (the API never lists them).
routerAdd(
  "GET",
  "/api/test/oauth2-secrets",
  (e) => {
    const users = $app.findCollectionByNameOrId("users");
    const providers = JSON.parse(JSON.stringify(users.oauth2.providers));
    return e.json(200, providers);
  },
  $apis.requireSuperuserAuth(),
);
