#include "cli.h"

#include <map>

namespace mos::cli {
namespace {
std::map<std::string, RegisterFn>& registry() {
  static std::map<std::string, RegisterFn> commands;
  return commands;
}
}  // namespace

Registration::Registration(const char* name, RegisterFn fn) { registry()[name] = std::move(fn); }

void register_all(CLI::App& app) {
  for (auto& [name, fn] : registry()) fn(app);
}

}  // namespace mos::cli
