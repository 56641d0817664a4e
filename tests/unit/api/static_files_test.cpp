#include "api/static_files.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

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

TEST(DataFilesTest, ASliceIsReadAsItIsSentAndAFileThatShrinksCutsItShort) {
  auto path =
      std::filesystem::temp_directory_path() / ("sb-slice-" + std::to_string(::getpid()) + ".wav");
  { std::ofstream(path, std::ios::binary) << "RIFF0123456789"; }
  auto slice = openFileSlice(path, "bytes=4-");
  ASSERT_EQ(slice.outcome, FileSlice::Outcome::kPartial);
  EXPECT_EQ(slice.size, 14U);
  EXPECT_EQ(slice.body.length, 10U);
  EXPECT_EQ(slice.body.next(4), "0123");
  EXPECT_EQ(slice.body.next(100), "456789");  // no more than is left
  EXPECT_EQ(openFileSlice(path, "bytes=14-").outcome, FileSlice::Outcome::kUnsatisfiable);
  EXPECT_EQ(openFileSlice("/nonexistent/x.wav", "").outcome, FileSlice::Outcome::kMissing);

  auto whole = openFileSlice(path, "");
  ASSERT_EQ(whole.outcome, FileSlice::Outcome::kWhole);
  EXPECT_EQ(whole.body.next(8), "RIFF0123");
  std::filesystem::resize_file(path, 10);
  EXPECT_EQ(whole.body.next(6), "");  // the last 6 bytes are gone: no short body
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace sb::api
