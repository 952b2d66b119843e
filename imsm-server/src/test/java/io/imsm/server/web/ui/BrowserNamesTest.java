package io.imsm.server.web.ui;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BrowserNamesTest {
    @Test
    void whenMainBrowsersSendTheirUserAgents_thenBrowserAndSystemAreNamed() {
        assertThat(BrowserNames.describe("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"))
                .isEqualTo("Firefox on Linux");
        assertThat(BrowserNames.describe("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                + "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87")).isEqualTo("Edge on Windows");
        assertThat(BrowserNames.describe("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                + "Version/17.5 Safari/605.1.15")).isEqualTo("Safari on macOS");
        assertThat(BrowserNames.describe("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                + "Version/17.5 Mobile/15E148 Safari/604.1")).isEqualTo("Safari on iOS");
        assertThat(BrowserNames.describe("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                + "Chrome/126.0.6478.122 Mobile Safari/537.36")).isEqualTo("Chrome on Android");
        assertThat(BrowserNames.describe("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 "
                + "Safari/537.36")).isEqualTo("Chrome on Linux");
        assertThat(BrowserNames.describe("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                + "Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0")).isEqualTo("Opera on Windows");
        assertThat(BrowserNames.describe("curl/8.8.0")).isEqualTo("curl");
    }

    @Test
    void whenUserAgentIsMissingOrUnknown_thenSaysSo() {
        assertThat(BrowserNames.describe(null)).isEqualTo("Unknown browser");
        assertThat(BrowserNames.describe("")).isEqualTo("Unknown browser");
        assertThat(BrowserNames.describe("SomeBot/1.0")).isEqualTo("Unknown browser");
        assertThat(BrowserNames.describe("SomeBot/1.0 (Linux)")).isEqualTo("A browser on Linux");
    }
}
