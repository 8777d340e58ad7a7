#!/usr/bin/env bash
# Replays the requests of shared/reference/entra-requests.md against a running SCIM server with
# curl and keeps every exchange, so the findings in scim2-server-findings.md can be reproduced.
#
#   scim2-server-probe.sh BASE_URL OUT_DIR      (the token is read from IDGATE_PEER_TOKEN)
#
# Writes OUT_DIR/NN-name.{req,hdr,body} and prints one line per request: name, status,
# Content-Type. Needs curl and jq. Only for a throwaway server on 127.0.0.1: it creates and
# deletes users and groups.
set -euo pipefail

[[ $# -eq 2 ]] || { echo "usage: $0 BASE_URL OUT_DIR" >&2; exit 1; }
readonly BASE="${1%/}"
readonly OUT="$2"
: "${IDGATE_PEER_TOKEN:?set IDGATE_PEER_TOKEN to the bearer token of the server}"
case "$BASE" in
http://127.0.0.1:* | http://localhost:*) ;;
*) echo "refusing a base URL off this machine: $BASE" >&2; exit 1 ;;
esac
mkdir -p "$OUT"

readonly CT="application/scim+json; charset=utf-8"
readonly CORE_USER="urn:ietf:params:scim:schemas:core:2.0:User"
readonly ENTERPRISE="urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
readonly PATCH_OP="urn:ietf:params:scim:api:messages:2.0:PatchOp"
n=0

# req NAME METHOD PATH [BODY [AUTH [CONTENT_TYPE]]]: AUTH "-" sends no Authorization header.
req() {
    local name="$1" method="$2" path="$3" body="${4:-}" auth="${5:-Bearer $IDGATE_PEER_TOKEN}"
    local ctype="${6:-$CT}" file
    n=$((n + 1))
    file="$OUT/$(printf '%02d' "$n")-$name"
    local args=(--silent --show-error --max-time 10 -X "$method" -D "$file.hdr" -o "$file.body"
        -H "Accept: application/scim+json")
    [[ "$auth" == "-" ]] || args+=(-H "Authorization: $auth")
    if [[ -n "$body" ]]; then
        args+=(-H "Content-Type: $ctype" --data-binary "$body")
    fi
    printf '%s %s\n%s\n' "$method" "$path" "$body" >"$file.req"
    curl "${args[@]}" "${URL_BASE:-$BASE}$path"
    LAST_STATUS="$(head -n1 "$file.hdr" | cut -d' ' -f2)"
    LAST_BODY="$file.body"
    printf '%-40s %s %s\n' "$(basename "$file")" "$LAST_STATUS" \
        "$(grep -i '^content-type:' "$file.hdr" | cut -d' ' -f2- | tr -d '\r')"
}

# The value of a jq expression in the last response body.
last() { jq -r "$1" "$LAST_BODY"; }

# A filter as Entra sends it: spaces as '+', quotes and '@' percent-encoded.
enc() { jq -rn --arg s "$1" '$s|@uri' | sed 's/%20/+/g'; }

user_a='{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1","active":true,"emails":[{"primary":true,"type":"work","value":"Test_User_fd0ea19b@testuser.test"}],"meta":{"resourceType":"User"},"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},"roles":[]}'

# 1. Test connection and create.
req test-connection GET "/Users?filter=$(enc 'userName eq "7bd4a1f6-3e5e-4b8f-9c1d-2f0b9a6e8c11"')"
req create-user-a POST /Users "$user_a"
A="$(last .id)"
req create-user-a-again POST /Users "$user_a"
req create-user-a-other-case POST /Users "${user_a/Test_User_ab6490ee/TEST_USER_AB6490EE}"
req create-manager-with-enterprise POST /Users "{\"schemas\":[\"$CORE_USER\",\"$ENTERPRISE\"],\"externalId\":\"5b1e9a4c-7d2f-4e8a-b3c6-9f0d1e2a3b4c\",\"userName\":\"Manager_User_5b1e9a4c@testuser.test\",\"active\":true,\"displayName\":\"Manager User\",\"emails\":[{\"primary\":true,\"type\":\"work\",\"value\":\"Manager_User_5b1e9a4c@testuser.test\"}],\"$ENTERPRISE\":{\"employeeNumber\":\"701984\",\"department\":\"Tour Operations\",\"costCenter\":\"4130\",\"organization\":\"Universal Studios\",\"division\":\"Theme Park\"},\"meta\":{\"resourceType\":\"User\"}}"
M="$(last .id)"
req create-user-no-emails POST /Users "{\"schemas\":[\"$CORE_USER\"],\"externalId\":\"c3d4e5f6-0000-4000-8000-000000000003\",\"userName\":\"NoMail_User_c3d4e5f6@testuser.test\",\"active\":true,\"meta\":{\"resourceType\":\"User\"}}"
C="$(last .id)"
req create-user-application-json POST /Users "{\"schemas\":[\"$CORE_USER\"],\"userName\":\"Plain_Json_User@testuser.test\",\"active\":true}" \
    "Bearer $IDGATE_PEER_TOKEN" "application/json"
D="$(last .id)"

# 2. Match.
req match-username-other-case GET "/Users?filter=$(enc 'userName eq "test_user_AB6490EE-1e48-479e-a20b-2d77186b5dd1"')"
req match-username-exact GET "/Users?filter=$(enc 'userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"')"
req match-externalid GET "/Users?filter=$(enc 'externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')"
req match-email-filter GET "/Users?filter=$(enc 'emails[type eq "work"].value eq "Test_User_fd0ea19b@testuser.test"')"
req match-and GET "/Users?filter=$(enc 'userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1" and active eq true')"
req get-user-a GET "/Users/$A"

# 3. Update, both dialects.
req patch-legacy-update PATCH "/Users/$A" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"Replace\",\"path\":\"displayName\",\"value\":\"Pvlo\"},{\"op\":\"Replace\",\"path\":\"emails[type eq \\\"work\\\"].value\",\"value\":\"TestBcwqnm@test.test\"},{\"op\":\"Replace\",\"path\":\"name.givenName\",\"value\":\"Gtfd\"},{\"op\":\"Replace\",\"path\":\"externalId\",\"value\":\"Eqpj\"},{\"op\":\"Replace\",\"path\":\"$ENTERPRISE:employeeNumber\",\"value\":\"Eqpj\"}]}"
req get-user-a-after-legacy-update GET "/Users/$A"
req patch-2020-update PATCH "/Users/$A" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"replace\",\"path\":\"emails[type eq \\\"work\\\"].value\",\"value\":\"TestKmgz@test.test\"},{\"op\":\"replace\",\"value\":{\"displayName\":\"Bjfe\",\"name.givenName\":\"Kkom\",\"name.familyName\":\"Unua\",\"$ENTERPRISE:employeeNumber\":\"Aklq\"}}]}"
req get-user-a-after-updates GET "/Users/$A"
req patch-legacy-add-nickname PATCH "/Users/$A" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"Add\",\"path\":\"nickName\",\"value\":\"Babs\"}]}"
req patch-2020-add-nickname PATCH "/Users/$A" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"add\",\"path\":\"nickName\",\"value\":\"Babs2\"}]}"
req patch-empty-string-value PATCH "/Users/$A" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"replace\",\"path\":\"nickName\",\"value\":\"\"}]}"
req patch-null-value PATCH "/Users/$A" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"replace\",\"path\":\"title\",\"value\":null}]}"

# 4. The emails filter path on a user that has no emails yet.
req patch-legacy-email-on-no-emails PATCH "/Users/$C" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"Replace\",\"path\":\"emails[type eq \\\"work\\\"].value\",\"value\":\"NoMail_Legacy@test.test\"}]}"
req patch-2020-add-email-on-no-emails PATCH "/Users/$C" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"add\",\"path\":\"emails[type eq \\\"work\\\"].value\",\"value\":\"NoMail_2020@test.test\"}]}"
req get-user-c GET "/Users/$C"

# 5. Manager, both forms.
req patch-manager-array-path-manager PATCH "/Users/$A" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"Add\",\"path\":\"manager\",\"value\":[{\"\$ref\":\"$BASE/Users/$M\",\"value\":\"$M\"}]}]}"
req patch-manager-string-path-manager PATCH "/Users/$A" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"Add\",\"path\":\"manager\",\"value\":\"$M\"}]}"
req patch-manager-array-urn-path PATCH "/Users/$A" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"Add\",\"path\":\"$ENTERPRISE:manager\",\"value\":[{\"\$ref\":\"$BASE/Users/$M\",\"value\":\"$M\"}]}]}"
req patch-manager-string-urn-path PATCH "/Users/$A" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"Add\",\"path\":\"$ENTERPRISE:manager\",\"value\":\"$M\"}]}"
req patch-manager-rfc-object-urn-path PATCH "/Users/$A" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"add\",\"path\":\"$ENTERPRISE:manager\",\"value\":{\"value\":\"$M\"}}]}"
req get-user-a-manager GET "/Users/$A"

# 6. Disable, then read back by id and by filter.
req patch-legacy-disable-False PATCH "/Users/$A" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"Replace\",\"path\":\"active\",\"value\":\"False\"}]}"
req get-user-a-after-False GET "/Users/$A"
req filter-user-a-after-False GET "/Users?filter=$(enc 'userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"')"
req patch-legacy-disable-false PATCH "/Users/$C" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"Replace\",\"path\":\"active\",\"value\":\"false\"}]}"
req get-user-c-after-false GET "/Users/$C"
req patch-2020-disable PATCH "/Users/$M" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"replace\",\"path\":\"active\",\"value\":false}]}"
req get-manager-after-2020-disable GET "/Users/$M"
req patch-okta-deactivate PATCH "/Users/$D" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"replace\",\"value\":{\"active\":false}}]}"
req get-user-d-after-okta-deactivate GET "/Users/$D"

# 7. Groups.
req create-group-adscim POST /Groups '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],"externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"displayName","meta":{"resourceType":"Group"}}'
G="$(last '.id // empty')"
# When the extra schema is refused, the rest of the group cycle runs on a core-only group.
req create-group-core-only POST /Groups '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"displayName","meta":{"resourceType":"Group"}}'
G="${G:-$(last '.id // empty')}"
req create-group-same-displayname POST /Groups '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"externalId":"9bb2b1d1-d5d4-4cd1-c5b6-3fa787a01260","displayName":"displayName"}'
req match-group-excluded-members GET "/Groups?excludedAttributes=members&filter=$(enc 'displayName eq "displayName"')"
req get-group-excluded-members GET "/Groups/$G?excludedAttributes=members"
req patch-group-rename PATCH "/Groups/$G" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"Replace\",\"path\":\"displayName\",\"value\":\"displayName renamed\"}]}"
req patch-group-add-member-ref-null PATCH "/Groups/$G" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"Add\",\"path\":\"members\",\"value\":[{\"\$ref\":null,\"value\":\"$A\"}]}]}"
req get-group-after-add GET "/Groups/$G"
req patch-group-legacy-remove-member PATCH "/Groups/$G" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"Remove\",\"path\":\"members\",\"value\":[{\"\$ref\":null,\"value\":\"$A\"}]}]}"
req get-group-after-legacy-remove GET "/Groups/$G"
req patch-group-add-member-again PATCH "/Groups/$G" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"$A\"},{\"value\":\"$C\"}]}]}"
req get-group-excluded-members-with-members GET "/Groups/$G?excludedAttributes=members"
req patch-group-2020-remove-member PATCH "/Groups/$G" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"remove\",\"path\":\"members[value eq \\\"$A\\\"]\"}]}"
req get-group-after-2020-remove GET "/Groups/$G"
req patch-group-remove-unknown-member PATCH "/Groups/$G" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"remove\",\"path\":\"members[value eq \\\"00000000-0000-4000-8000-00000000dead\\\"]\"}]}"
req patch-group-legacy-remove-unknown PATCH "/Groups/$G" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[{\"op\":\"Remove\",\"path\":\"members\",\"value\":[{\"\$ref\":null,\"value\":\"00000000-0000-4000-8000-00000000dead\"}]}]}"
req patch-group-empty-operations PATCH "/Groups/$G" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[]}"
req patch-user-empty-operations PATCH "/Users/$C" "{\"schemas\":[\"$PATCH_OP\"],\"Operations\":[]}"
req get-group-final GET "/Groups/$G"

# 8. Discovery and paging.
req schemas GET /Schemas
req service-provider-config GET /ServiceProviderConfig
req resource-types GET /ResourceTypes
req schemas-no-token GET /Schemas "" -
req service-provider-config-no-token GET /ServiceProviderConfig "" -
req page-users-1 GET "/Users?startIndex=1&count=2"
req page-users-2 GET "/Users?startIndex=3&count=2"
req page-users-count-0 GET "/Users?count=0"

# 9. Authentication, unknown ids, the base path.
req no-token GET /Users "" -
req wrong-token GET /Users "" "Bearer not-the-token"
req get-unknown-user GET /Users/00000000-0000-4000-8000-00000000dead
ROOT="${BASE%/v2}"
URL_BASE="$ROOT" req no-version-prefix GET "/Users?count=1"
URL_BASE="$ROOT" req scim-v2-prefix GET "/scim/v2/Users?count=1"

# 10. Delete, then read.
req delete-user-d DELETE "/Users/$D"
req get-deleted-user-d GET "/Users/$D"
req delete-group DELETE "/Groups/$G"
req get-deleted-group GET "/Groups/$G"
