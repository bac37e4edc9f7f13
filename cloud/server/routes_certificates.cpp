// Certificates: CreateCertificateFromCsr, CreateKeysAndCertificate,
// ListCertificates, DescribeCertificate, UpdateCertificate, DeleteCertificate
// (iot service model, requestUri /certificates and /keys-and-certificate).
#include "routes.h"

namespace mos::cloud {
namespace {

using registry::Err;

json cert_summary(const registry::Certificate& c) {
  return {{"certificateArn", c.arn}, {"certificateId", c.id}, {"status", c.status},
          {"certificateMode", "DEFAULT"}, {"creationDate", c.created_at}};
}

std::optional<Response> add_cert(Services& s, Call& c, const ca::Result& r) {
  registry::Certificate cert;
  cert.id = r.cert.id;
  cert.arn = s.reg.arn("cert", r.cert.id);
  cert.status = lower(c.q("setAsActive")) == "true" ? "ACTIVE" : "INACTIVE";
  cert.pem = r.cert.pem;
  cert.subject = r.cert.subject;
  cert.ca_certificate_id = s.ca.ca_id();
  cert.created_at = cert.updated_at = c.now;
  cert.not_before = r.cert.not_before;
  cert.not_after = r.cert.not_after;
  Err e = s.reg.add_certificate(cert);
  if (e != Err::kOk) return internal("Cannot store the certificate: " + s.reg.last_error());
  return std::nullopt;
}

std::string bad_cert_id(const std::string& raw) {
  return validation(raw, "certificateId", "Member must have length 64 and match [a-fA-F0-9]+");
}

// The {certificateId} segment, lowercased, or the 400 for a malformed one.
std::optional<Response> cert_id(Call& c, std::string& id) {
  id = lower(c.seg[1]);
  if (valid_cert_id(id)) return std::nullopt;
  return invalid(bad_cert_id(c.seg[1]));
}

Response create_from_csr(Services& s, Call& c) {
  auto it = c.body.find("certificateSigningRequest");
  if (it == c.body.end() || !it->is_string() || it->get<std::string>().empty())
    return invalid("certificateSigningRequest is required.");
  ca::Result r = s.ca.sign_csr(it->get<std::string>());
  if (!r.ok()) return r.error == ca::Error::kInternal ? internal(r.message) : invalid(r.message);
  if (auto e = add_cert(s, c, r)) return *e;
  return ok({{"certificateArn", s.reg.arn("cert", r.cert.id)}, {"certificateId", r.cert.id},
             {"certificatePem", r.cert.pem}});
}

Response create_keys_and_certificate(Services& s, Call& c) {
  ca::Result r = s.ca.create_keys_and_certificate("AWS IoT Certificate");
  if (!r.ok()) return internal(r.message);
  if (auto e = add_cert(s, c, r)) return *e;
  return ok({{"certificateArn", s.reg.arn("cert", r.cert.id)}, {"certificateId", r.cert.id},
             {"certificatePem", r.cert.pem},
             {"keyPair", {{"PublicKey", r.public_key_pem}, {"PrivateKey", r.private_key_pem}}}});
}

Response list_certificates(Services& s, Call& c) {
  auto all = s.reg.certificates(lower(c.q("isAscendingOrder")) == "true");
  Page p = paginate(all.size(), c.q("marker"), c.q("pageSize"), 250);
  if (!p.ok) return invalid("pageSize must be 1..250 and marker a value returned as nextMarker.");
  json list = json::array();
  for (size_t i = p.begin; i < p.end; ++i) list.push_back(cert_summary(all[i]));
  json out{{"certificates", list}};
  if (!p.next.empty()) out["nextMarker"] = p.next;
  return ok(out);
}

Response describe_certificate(Services& s, Call& c) {
  std::string id;
  if (auto e = cert_id(c, id)) return *e;
  auto cert = s.reg.certificate(id);
  if (!cert) return not_found("The certificate " + id + " does not exist.");
  json d{{"certificateArn", cert->arn},
         {"certificateId", cert->id},
         {"status", cert->status},
         {"certificatePem", cert->pem},
         {"ownedBy", s.reg.account_id()},
         {"creationDate", cert->created_at},
         {"lastModifiedDate", cert->updated_at},
         {"customerVersion", 1},
         {"generationId", std::to_string(cert->generation_id)},
         {"validity", {{"notBefore", cert->not_before}, {"notAfter", cert->not_after}}},
         {"certificateMode", "DEFAULT"}};
  if (!cert->ca_certificate_id.empty()) d["caCertificateId"] = cert->ca_certificate_id;
  return ok({{"certificateDescription", d}});
}

Response update_certificate(Services& s, Call& c) {
  if (auto e = update_certificate_status(s.reg, c.seg[1], c.q("newStatus"), c.now)) return *e;
  return ok_empty();
}

Response delete_certificate(Services& s, Call& c) {
  std::string id;
  if (auto e = cert_id(c, id)) return *e;
  switch (s.reg.delete_certificate(id, lower(c.q("forceDelete")) == "true")) {
    case Err::kOk: return ok_empty();
    case Err::kNotFound: return not_found("The certificate " + id + " does not exist.");
    case Err::kState:
      return Api::error(406, "CertificateStateException",
                        "Certificate " + id + " is ACTIVE; deactivate it first (update-certificate --new-status INACTIVE).");
    case Err::kConflict:
      return Api::error(409, "DeleteConflictException",
                        "Certificate " + id + " is still attached to policies or things; detach them first "
                        "(detach-policy / detach-thing-principal), or pass --force-delete to detach policies.");
    default: return internal(s.reg.last_error());
  }
}

}  // namespace

std::optional<Response> update_certificate_status(registry::Registry& reg, const std::string& raw_id,
                                                  const std::string& status, int64_t now) {
  std::string id = lower(raw_id);
  if (!valid_cert_id(id)) return invalid(bad_cert_id(raw_id));
  if (status != "ACTIVE" && status != "INACTIVE" && status != "REVOKED")
    return invalid(validation(status, "newStatus", "Member must satisfy enum value set: [ACTIVE, INACTIVE, REVOKED]"));
  switch (reg.set_certificate_status(id, status, now)) {
    case Err::kOk: return std::nullopt;
    case Err::kNotFound: return not_found("The certificate " + id + " does not exist.");
    case Err::kState:
      return Api::error(406, "CertificateStateException",
                        "The certificate " + id + " is REVOKED; a revoked certificate cannot change status.");
    default: return internal(reg.last_error());
  }
}

std::vector<Route> certificate_routes() {
  return {
      {"POST", "/certificates", create_from_csr, "CreateCertificateFromCsr"},
      {"POST", "/keys-and-certificate", create_keys_and_certificate, "CreateKeysAndCertificate"},
      {"GET", "/certificates", list_certificates, "ListCertificates"},
      {"GET", "/certificates/{certificateId}", describe_certificate, "DescribeCertificate"},
      {"PUT", "/certificates/{certificateId}", update_certificate, "UpdateCertificate"},
      {"DELETE", "/certificates/{certificateId}", delete_certificate, "DeleteCertificate"},
  };
}

}  // namespace mos::cloud
