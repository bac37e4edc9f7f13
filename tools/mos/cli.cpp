#include "cli.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace mos::cli {

const char* const kVersion = "mos 0.1.0";

const char* const kExitCodesHelp =
    "Exit codes: 0 success; 1 the command failed (board, cloud, file or network error);\n"
    "            2 usage error (unknown command, bad or missing argument).";

namespace {
std::map<std::string, RegisterFn>& registry() {
  static std::map<std::string, RegisterFn> commands;
  return commands;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  // Levenshtein with adjacent transpositions (optimal string alignment):
  // "bulid" is one step from "build".
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::vector<std::string> subcommand_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app->get_subcommands([](const CLI::App*) { return true; })) {
    if (!sub->get_name().empty()) names.push_back(sub->get_name());
    for (const auto& alias : sub->get_aliases()) names.push_back(alias);
  }
  return names;
}

std::string command_path(const CLI::App* app) {
  std::string path;
  for (const CLI::App* a = app; a != nullptr; a = a->get_parent()) {
    path = a->get_name() + (path.empty() ? "" : " " + path);
  }
  return path;
}

// An option of `app` or, through fallthrough, of one of its parents.
const CLI::Option* find_option(const CLI::App* app, const std::string& name) {
  for (const CLI::App* a = app; a != nullptr; a = a->get_parent()) {
    if (const CLI::Option* o = a->get_option_no_throw(name)) return o;
  }
  return nullptr;
}

bool is_help(const std::string& arg) { return arg == "-h" || arg == "--help" || arg == "--version"; }

// Walks the command words before CLI11 does, so that a typo gets a
// suggestion and a missing subcommand gets the help of the level where it is
// missing (CLI11 would say "A subcommand is required" / "not expected").
// Returns the app at which a subcommand is missing, or throws ExitStatus
// after printing the error for an unknown one.
const CLI::App* check_command_words(const CLI::App& app, int argc, char** argv, bool* asked_help) {
  const CLI::App* cur = &app;
  bool chose = true;  // the top level needs a command
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") break;
    if (is_help(arg)) {
      *asked_help = true;
      return nullptr;
    }
    if (arg.size() > 1 && arg[0] == '-') {
      if (arg.find('=') != std::string::npos) continue;
      const CLI::Option* o = find_option(cur, arg);
      if (o != nullptr && o->get_type_size_max() != 0) ++i;  // its value
      continue;
    }
    auto names = subcommand_names(cur);
    if (names.empty()) return nullptr;  // positional arguments of a leaf command
    if (std::find(names.begin(), names.end(), arg) != names.end()) {
      cur = cur->get_subcommand(arg);
      chose = true;
      continue;
    }
    std::string guess = nearest(arg, names);
    std::fprintf(stderr, "Error: unknown command \"%s\"%s\n  -> %s --help lists the commands\n",
                 arg.c_str(), guess.empty() ? "" : ("; did you mean \"" + guess + "\"?").c_str(),
                 command_path(cur).c_str());
    throw ExitStatus{kExitUsage};
  }
  (void)chose;
  if (!subcommand_names(cur).empty() && (cur == &app || cur->get_require_subcommand_min() > 0)) {
    return cur;
  }
  return nullptr;
}

// Its help, with "Usage: mos sim start ..." rather than "Usage: start".
std::string help_of(const CLI::App* app, CLI::AppFormatMode mode = CLI::AppFormatMode::Normal) {
  return app->help(app->get_parent() != nullptr ? command_path(app->get_parent()) : "", mode);
}

// The deepest subcommand the user chose (its help is the one they asked for).
const CLI::App* chosen(const CLI::App* app) {
  for (;;) {
    auto subs = app->get_subcommands();
    if (subs.empty()) return app;
    app = subs.back();
  }
}

}  // namespace

Registration::Registration(const char* name, RegisterFn fn) { registry()[name] = std::move(fn); }

void register_all(CLI::App& app) {
  for (auto& [name, fn] : registry()) fn(app);
}

std::string nearest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  // Plausible typo: at most 2 edits, and fewer than half the word's letters.
  if (best_d > 2 || best_d * 2 >= std::max<size_t>(word.size(), 2)) return "";
  return best;
}

std::string shell_quote(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                               "0123456789_-./:=@+,%") == std::string::npos) {
    return word;
  }
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

int run(CLI::App& app, int argc, char** argv) {
  app.footer(kExitCodesHelp);
  // One command per run. The maximum also matters to CLI11's parsing: while
  // no maximum is reached, an argument that names another command
  // (`mos config-get wifi`) would start that command.
  app.require_subcommand(0, 1);
  try {
    bool asked_help = false;
    const CLI::App* missing = check_command_words(app, argc, argv, &asked_help);
    if (missing != nullptr) {
      std::fputs(help_of(missing).c_str(), stderr);
      std::fprintf(stderr, "\nError: %s needs a command\n  -> pick one of the commands above\n",
                   command_path(missing).c_str());
      return kExitUsage;
    }
    app.parse(argc, argv);
    return kExitOk;
  } catch (const CLI::CallForHelp&) {
    std::fputs(help_of(chosen(&app)).c_str(), stdout);
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    std::fputs(help_of(chosen(&app), CLI::AppFormatMode::All).c_str(), stdout);
    return kExitOk;
  } catch (const CLI::CallForVersion& e) {
    std::printf("%s\n", e.what());
    return kExitOk;
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    const CLI::App* where = chosen(&app);
    std::fprintf(stderr, "Error: %s\n  -> see `%s --help`\n", e.what(), command_path(where).c_str());
    return kExitUsage;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "Error: %s\n", e.what());
    return kExitUsage;
  } catch (const ExitStatus& s) {
    return s.code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "Error: %s\n", e.what());
    return kExitFailed;
  }
}

}  // namespace mos::cli
