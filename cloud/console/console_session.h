// One browser tab's live channel (README "Live"): the JSON protocol spoken
// over the WebSocket GET /console/api/live. Requests (subscribe, unsubscribe,
// publish) are checked field by field and go to the shared broker connection
// (Broker); replies come back when the broker answers, so on_text never waits
// for the network. Messages on the tab's filters and the registry pushes
// (LiveWatcher) go out as frames. Nothing a client sends makes it throw: a
// frame it cannot use gets an error frame.
#pragma once
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "broker.h"
#include "http_server.h"

namespace mos::console {

class ConsoleSession : public cloud::LiveHandler,
                       public Subscriber,
                       public std::enable_shared_from_this<ConsoleSession> {
 public:
  ConsoleSession(std::shared_ptr<cloud::LiveChannel> channel, Broker& broker, uint64_t login_id);

  // LiveHandler (the HTTP front's worker threads, one call at a time).
  void on_text(const std::string& message) override;
  void on_close() override;
  // Subscriber (the broker connection's thread).
  void deliver(const BrokerMessage& m) override;
  void subscription_lost(const std::string& filter, const std::string& message) override;

  // A frame to the tab; false once the channel is closed.
  bool send(const std::string& frame);
  // Ends the channel from the server's side (e.g. the login ended); nothing
  // is sent after it.
  void end(const std::string& reason);
  bool closed() const { return closed_; }
  uint64_t login_id() const { return login_id_; }
  // Whether the watcher has given this tab the list of connections yet.
  std::atomic<bool> has_connections{false};

 private:
  using json = nlohmann::json;
  void handle(const std::string& message);
  // The reply to a request: its "id" (if it had one) echoed.
  void reply(json frame, const json& id);
  void error(const std::string& op, const json& id, const std::string& message, const json* filter = nullptr,
             const json* topic = nullptr);
  void subscribe(const json& req, const json& id);
  void unsubscribe(const json& req, const json& id);
  void publish(const json& req, const json& id);
  std::shared_ptr<cloud::LiveChannel> channel_;
  Broker& broker_;
  uint64_t login_id_;
  std::atomic<bool> closed_{false};
};

}  // namespace mos::console
