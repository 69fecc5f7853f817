# Source: https://github.com/fchollet/deep-learning-with-python-notebooks/blob/master/chapter07_deep-dive-keras.ipynb
# "Deep Learning with Python", 3rd edition, chapter 7: "The standard workflow" and
# "Writing your own metrics" (a RootMeanSquaredError metric subclass).
# Author: François Chollet. Licence: MIT.
# Cells 53, 55, 56. Changed for the tests: the imports (below), the data (standin.py's
# MNIST stand-in: 6,000 + 1,000 images, so the reshape counts are 6000 and 1000 and the
# validation slice is 1000 instead of 10000), epochs 3 -> 2, and the last line, which
# reports the key figures (`history =` keeps fit's result for it).
import os
if os.environ.get("REFERENCE"):
    import keras
    from keras import layers
    from keras import ops
else:
    import fastnn as keras
    from fastnn import layers
    from fastnn import ops
from standin import mnist, report

def get_mnist_model():
    inputs = keras.Input(shape=(28 * 28,))
    features = layers.Dense(512, activation="relu")(inputs)
    features = layers.Dropout(0.5)(features)
    outputs = layers.Dense(10, activation="softmax")(features)
    model = keras.Model(inputs, outputs)
    return model

(images, labels), (test_images, test_labels) = mnist.load_data()
images = images.reshape((6000, 28 * 28)).astype("float32") / 255
test_images = test_images.reshape((1000, 28 * 28)).astype("float32") / 255
train_images, val_images = images[1000:], images[:1000]
train_labels, val_labels = labels[1000:], labels[:1000]

model = get_mnist_model()
model.compile(
    optimizer="adam",
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(
    train_images,
    train_labels,
    epochs=2,
    validation_data=(val_images, val_labels),
)
test_metrics = model.evaluate(test_images, test_labels)
predictions = model.predict(test_images)


class RootMeanSquaredError(keras.metrics.Metric):
    def __init__(self, name="rmse", **kwargs):
        super().__init__(name=name, **kwargs)
        self.mse_sum = self.add_weight(name="mse_sum", initializer="zeros")
        self.total_samples = self.add_weight(
            name="total_samples", initializer="zeros"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.one_hot(y_true, num_classes=ops.shape(y_pred)[1])
        mse = ops.sum(ops.square(y_true - y_pred))
        self.mse_sum.assign_add(mse)
        num_samples = ops.shape(y_pred)[0]
        self.total_samples.assign_add(num_samples)

    def result(self):
        return ops.sqrt(self.mse_sum / self.total_samples)

    def reset_state(self):
        self.mse_sum.assign(0.)
        self.total_samples.assign(0.)


model = get_mnist_model()
model.compile(
    optimizer="adam",
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy", RootMeanSquaredError()],
)
history = model.fit(
    train_images,
    train_labels,
    epochs=2,
    validation_data=(val_images, val_labels),
)
test_metrics_rmse = model.evaluate(test_images, test_labels)

report(first_test_acc=test_metrics[1], loss=history.history["loss"][-1],
       val_rmse=history.history["val_rmse"][-1], test_loss=test_metrics_rmse[0],
       test_acc=test_metrics_rmse[1], test_rmse=test_metrics_rmse[2])
