#include "api/static_files.hpp"

#include <gtest/gtest.h>

#include "core/text.hpp"

namespace sb::api {
namespace {

TEST(StaticFilesTest, RootAndFoldersMeanIndexHtml) {
  EXPECT_EQ(resolveStaticPath("/srv/web", "/"), std::filesystem::path("/srv/web/index.html"));
  EXPECT_EQ(resolveStaticPath("/srv/web", "/docs/"),
            std::filesystem::path("/srv/web/docs/index.html"));
  EXPECT_EQ(resolveStaticPath("/srv/web", "/app.js"), std::filesystem::path("/srv/web/app.js"));
}

TEST(StaticFilesTest, PathsLeavingTheRootAreRefused) {
  for (auto path :
       {"/../etc/passwd", "/a/../../etc/passwd", "/%2e%2e/etc/passwd", "/%2E%2E%2Fetc%2Fpasswd",
        "/a%5c..%5c..%5cetc", "/x%00.html", "/%zz", "/%4", "relative"}) {
    EXPECT_FALSE(resolveStaticPath("/srv/web", path)) << path;
  }
}

TEST(StaticFilesTest, PercentEscapesAreDecoded) {
  EXPECT_EQ(resolveStaticPath("/srv/web", "/a%20b.html"),
            std::filesystem::path("/srv/web/a b.html"));
  EXPECT_EQ(percentDecode("%E4%B8%AD"), "中");
}

TEST(StaticFilesTest, MimeTypesByExtension) {
  EXPECT_EQ(mimeTypeFor("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(mimeTypeFor("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mimeTypeFor("blob"), "application/octet-stream");
}

TEST(StaticFilesTest, MissingFilesAndDevicesAreNotRead) {
  EXPECT_FALSE(readRegularFile("/nonexistent/file"));
  EXPECT_FALSE(readRegularFile("/dev/zero"));
}

TEST(DataFilesTest, StoredPathsStayInTheDataFolder) {
  EXPECT_EQ(resolveDataFile("/var/sb", "recordings/2026/c1.wav"),
            std::filesystem::path("/var/sb/recordings/2026/c1.wav"));
  EXPECT_EQ(resolveDataFile("/var/sb", "./voicemail//c1.wav"),
            std::filesystem::path("/var/sb/voicemail/c1.wav"));
  using namespace std::string_view_literals;
  for (auto stored : {""sv, "/etc/passwd"sv, "../db"sv, "recordings/../../db"sv, "recordings/.."sv,
                      "a\\..\\b"sv, "."sv, "./"sv, "a\0b"sv}) {
    EXPECT_FALSE(resolveDataFile("/var/sb", stored)) << stored;
  }
}

}  // namespace
}  // namespace sb::api
